//! Paramètres > Entreprise: the company profile and its logo. Documents already issued
//! keep the copy of these details made at issue; only later documents see a change.

use loco_rs::app::AppContext;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
    TransactionTrait,
};
use sha2::{Digest, Sha256};

use super::ServiceError;
use crate::{
    domain::{company::CompanyProfile, error::FieldErrors, upload::check_logo},
    models::_entities::{companies, company_logos, number_series},
};

/// # Errors
/// `NotFound` when the company is gone.
pub async fn update(
    ctx: &AppContext,
    company_id: i64,
    profile: &CompanyProfile,
) -> Result<companies::Model, ServiceError> {
    let company = companies::Entity::find_by_id(company_id)
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    check_numbering_unchanged(ctx, &company, profile).await?;
    let mut active = company.into_active_model();
    active.legal_name = Set(profile.legal_name.clone());
    active.legal_form = Set(Some(profile.legal_form.to_string()));
    active.siret = Set(Some(profile.siret.as_str().to_string()));
    active.vat_regime = Set(profile.vat_regime.as_str().to_string());
    active.vat_number = Set(profile.vat_number.as_ref().map(|v| v.as_str().to_string()));
    active.vat_on_debits = Set(profile.vat_on_debits);
    active.registration = Set(profile.registration.clone());
    active.share_capital_cents = Set(profile.share_capital_cents);
    active.address_street = Set(Some(profile.address.street.clone()));
    active.address_street2 = Set(profile.address.street2.clone());
    active.address_postcode = Set(Some(profile.address.postcode.clone()));
    active.address_city = Set(Some(profile.address.city.clone()));
    active.address_country = Set(profile.address.country.code().to_string());
    active.contact_email = Set(Some(profile.contact_email.as_str().to_string()));
    active.contact_phone = Set(profile
        .contact_phone
        .as_ref()
        .map(|p| p.as_str().to_string()));
    active.invoice_prefix = Set(profile.invoice_prefix.clone());
    active.credit_note_prefix = Set(profile.credit_note_prefix.clone());
    active.numbering_yearly_reset = Set(profile.yearly_reset);
    active.payment_term_days = Set(profile.payment_term_days);
    active.late_penalty_rate_bp = Set(Some(profile.late_penalty_rate_bp));
    let bank = profile.bank.as_ref();
    active.bank_holder = Set(bank.map(|b| b.holder.clone()));
    active.bank_iban = Set(bank.map(|b| b.iban.as_str().to_string()));
    active.bank_bic = Set(bank.and_then(|b| b.bic.as_ref().map(|bic| bic.as_str().to_string())));
    active.updated_at = Set(crate::clock::of(ctx).now());
    Ok(active.update(&ctx.db).await?)
}

/// Once a document is numbered, the format of the numbers is fixed: changing a prefix or
/// the yearly reset would start another sequence next to the one already used, breaking
/// the single continuous numbering (CGI art. 242 nonies A).
async fn check_numbering_unchanged(
    ctx: &AppContext,
    company: &companies::Model,
    profile: &CompanyProfile,
) -> Result<(), ServiceError> {
    let changed = [
        (
            "invoice_prefix",
            company.invoice_prefix != profile.invoice_prefix,
        ),
        (
            "credit_note_prefix",
            company.credit_note_prefix != profile.credit_note_prefix,
        ),
        (
            "yearly_reset",
            company.numbering_yearly_reset != profile.yearly_reset,
        ),
    ];
    if !changed.iter().any(|(_, c)| *c) {
        return Ok(());
    }
    let numbered = number_series::Entity::find()
        .filter(number_series::Column::CompanyId.eq(company.id))
        .filter(number_series::Column::LastSequence.gt(0))
        .count(&ctx.db)
        .await?;
    if numbered == 0 {
        return Ok(());
    }
    let mut errors = FieldErrors::default();
    for (field, is_changed) in changed {
        if is_changed {
            errors.push(field, "numbering-locked");
        }
    }
    Err(errors.into())
}

/// The company's logo, if any.
///
/// # Errors
/// Database errors.
pub async fn logo(
    ctx: &AppContext,
    company_id: i64,
) -> Result<Option<company_logos::Model>, ServiceError> {
    Ok(company_logos::Entity::find()
        .filter(company_logos::Column::CompanyId.eq(company_id))
        .one(&ctx.db)
        .await?)
}

/// Replaces the logo with an uploaded PNG or JPEG, checked by content.
///
/// # Errors
/// `Invalid` on the `logo` field (type, size, dimensions).
pub async fn set_logo(
    ctx: &AppContext,
    company_id: i64,
    bytes: &[u8],
) -> Result<company_logos::Model, ServiceError> {
    let image = check_logo(bytes).map_err(|code| FieldErrors::single("logo", code))?;
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    company_logos::Entity::delete_many()
        .filter(company_logos::Column::CompanyId.eq(company_id))
        .exec(&txn)
        .await?;
    let logo = company_logos::ActiveModel {
        company_id: Set(company_id),
        content_type: Set(image.kind.content_type().to_string()),
        width: Set(i32::try_from(image.width).unwrap_or(i32::MAX)),
        height: Set(i32::try_from(image.height).unwrap_or(i32::MAX)),
        sha256: Set(hex::encode(Sha256::digest(bytes))),
        content: Set(bytes.to_vec()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(logo)
}

/// # Errors
/// Database errors.
pub async fn remove_logo(ctx: &AppContext, company_id: i64) -> Result<(), ServiceError> {
    company_logos::Entity::delete_many()
        .filter(company_logos::Column::CompanyId.eq(company_id))
        .exec(&ctx.db)
        .await?;
    Ok(())
}
