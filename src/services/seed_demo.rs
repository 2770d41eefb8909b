//! The demo dataset seeded on the first start in development (logins in the README).

use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::{user_admin, ServiceError};
use crate::{domain::roles::Role, models::_entities::users};

pub const DEMO_COMPANY: &str = "Atelier Démo";
pub const DEMO_ADMIN_EMAIL: &str = "admin@demo.encaisse.fr";
pub const DEMO_MEMBER_EMAIL: &str = "membre@demo.encaisse.fr";
pub const DEMO_STAFF_EMAIL: &str = "staff@demo.encaisse.fr";
pub const DEMO_PASSWORD: &str = "demo-encaisse";

/// Seeds once: does nothing when the demo admin already exists.
///
/// # Errors
/// Database errors.
pub async fn seed_if_empty(ctx: &AppContext) -> Result<bool, ServiceError> {
    let exists = users::Entity::find()
        .filter(users::Column::Email.eq(DEMO_ADMIN_EMAIL))
        .count(&ctx.db)
        .await?
        > 0;
    if exists {
        return Ok(false);
    }
    let company = user_admin::create_company(ctx, DEMO_COMPANY).await?;
    user_admin::create_active_user(
        ctx,
        Some(&company),
        "Camille Admin",
        DEMO_ADMIN_EMAIL,
        Role::Admin,
        DEMO_PASSWORD,
    )
    .await?;
    user_admin::create_active_user(
        ctx,
        Some(&company),
        "Louis Membre",
        DEMO_MEMBER_EMAIL,
        Role::Member,
        DEMO_PASSWORD,
    )
    .await?;
    user_admin::create_staff(ctx, "Sam Staff", DEMO_STAFF_EMAIL, DEMO_PASSWORD).await?;
    seed_sales(ctx, &company).await?;
    Ok(true)
}

/// A complete company profile, a client and a running monthly subscription, so that the
/// demo can issue invoices at once. Made through the same services as the pages.
async fn seed_sales(
    ctx: &AppContext,
    company: &crate::models::_entities::companies::Model,
) -> Result<(), ServiceError> {
    use crate::{
        domain::{
            client::ClientAccount,
            company::CompanyProfile,
            draft::{Draft, DraftInput},
            invoice::LineInput,
        },
        web::forms::{ClientFields, CompanyFields},
    };
    let profile = CompanyFields {
        legal_name: DEMO_COMPANY.into(),
        legal_form: "sarl".into(),
        siret: "732 829 320 00074".into(),
        vat_regime: "registered".into(),
        vat_number: "FR44732829320".into(),
        registration: "RCS Lyon".into(),
        share_capital: "10 000".into(),
        address_street: "12 rue de la République".into(),
        address_postcode: "69002".into(),
        address_city: "Lyon".into(),
        address_country: "FR".into(),
        contact_email: "facturation@demo.encaisse.fr".into(),
        contact_phone: "04 78 00 00 00".into(),
        invoice_prefix: "F".into(),
        credit_note_prefix: "AV".into(),
        yearly_reset: Some("on".into()),
        payment_term_days: "30".into(),
        late_penalty_rate: "12,15".into(),
        bank_iban: "FR76 3000 6000 0112 3456 7890 189".into(),
        bank_bic: "BNPAFRPP".into(),
        ..Default::default()
    };
    let profile = CompanyProfile::parse(&profile.input()).map_err(ServiceError::Invalid)?;
    super::company_profile::update(ctx, company.id, &profile).await?;
    let client = ClientFields {
        legal_name: "Boulangerie Martin".into(),
        siret: "542 051 180 00066".into(),
        vat_number: "FR59542051180".into(),
        customer_number: "C-001".into(),
        billing_street: "1 rue du Four".into(),
        billing_postcode: "69001".into(),
        billing_city: "Lyon".into(),
        contact_name: "Léa Martin".into(),
        contact_email: "compta@boulangerie-martin.example".into(),
        ..Default::default()
    };
    let client = ClientAccount::parse(&client.input()).map_err(ServiceError::Invalid)?;
    let client = super::clients::create(ctx, company.id, &client, None)
        .await?
        .client;
    let today = super::issue_invoice::paris_date(crate::clock::of(ctx).now());
    let input = DraftInput {
        label: "Maintenance mensuelle du site".into(),
        client: client.pid.to_string(),
        recurrence: "monthly".into(),
        lines: vec![LineInput {
            description: "Maintenance, mises à jour et sauvegardes".into(),
            quantity: "1".into(),
            unit: "MON".into(),
            unit_price: "120".into(),
            vat: "20".into(),
        }],
        ..Default::default()
    };
    let draft = Draft::parse(&input, today, 30).map_err(ServiceError::Invalid)?;
    let (created, _) = super::invoices::create_draft(ctx, company.id, None, &draft, None).await?;
    super::issue_invoice::issue(ctx, company.id, None, &created.pid.to_string()).await?;
    Ok(())
}
