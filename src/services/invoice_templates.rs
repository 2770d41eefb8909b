//! Invoice templates per client (from the Pagero guides): an invoice saved as a template,
//! and a new invoice started from one.

use loco_rs::app::AppContext;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{invoices as docs, ServiceError};
use crate::{
    domain::{company::parse_text, draft::DraftInput, error::FieldErrors, locale::Locale},
    models::_entities::{clients as client_rows, invoice_templates},
    views::invoice::draft_input,
};

/// Saves the content of a document (draft or issued) as a template for its client.
///
/// # Errors
/// `NotFound`, `Invalid` on `name`.
pub async fn save_from(
    ctx: &AppContext,
    company_id: i64,
    invoice_pid: &str,
    name: &str,
    locale: Locale,
) -> Result<invoice_templates::Model, ServiceError> {
    let mut errors = FieldErrors::default();
    let name = errors.take("name", parse_text(name, 120, true)).flatten();
    let Some(name) = name else {
        return Err(errors.into());
    };
    let invoice = docs::find(&ctx.db, company_id, invoice_pid).await?;
    let client = client_rows::Entity::find_by_id(invoice.client_id)
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let (lines, adjustments) = docs::content(&ctx.db, invoice.id).await?;
    let mut input = draft_input(
        &invoice,
        &client.pid.to_string(),
        &lines,
        &adjustments,
        locale,
    );
    // A template carries what repeats, not the dates of one invoice.
    input.issue_date = String::new();
    input.due_date = String::new();
    input.delivery_date = String::new();
    input.period_start = String::new();
    input.period_end = String::new();
    let now = crate::clock::of(ctx).now();
    let content = serde_json::to_string(&input).map_err(|e| ServiceError::Other(e.to_string()))?;
    // Saving under an existing name of this client replaces that template (and a double
    // submit makes one).
    if let Some(existing) = invoice_templates::Entity::find()
        .filter(invoice_templates::Column::CompanyId.eq(company_id))
        .filter(invoice_templates::Column::ClientId.eq(client.id))
        .filter(invoice_templates::Column::Name.eq(name.as_str()))
        .one(&ctx.db)
        .await?
    {
        let mut active: invoice_templates::ActiveModel = existing.into();
        active.content_json = Set(content);
        active.updated_at = Set(now);
        return Ok(active.update(&ctx.db).await?);
    }
    Ok(invoice_templates::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        company_id: Set(company_id),
        client_id: Set(client.id),
        name: Set(name),
        content_json: Set(
            serde_json::to_string(&input).map_err(|e| ServiceError::Other(e.to_string()))?
        ),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?)
}

/// The company's templates with their client, by client name then template name.
///
/// # Errors
/// Database errors.
pub async fn list(
    ctx: &AppContext,
    company_id: i64,
) -> Result<Vec<(invoice_templates::Model, client_rows::Model)>, ServiceError> {
    Ok(invoice_templates::Entity::find()
        .filter(invoice_templates::Column::CompanyId.eq(company_id))
        .find_also_related(client_rows::Entity)
        .order_by_asc(invoice_templates::Column::Name)
        .all(&ctx.db)
        .await?
        .into_iter()
        .filter_map(|(t, c)| c.map(|c| (t, c)))
        .collect())
}

/// The step 1 form of a new invoice started from a template.
///
/// # Errors
/// `NotFound` (also another company's template).
pub async fn start_from(
    ctx: &AppContext,
    company_id: i64,
    template_pid: &str,
) -> Result<DraftInput, ServiceError> {
    let pid = uuid::Uuid::parse_str(template_pid).map_err(|_| ServiceError::NotFound)?;
    let template = invoice_templates::Entity::find()
        .filter(invoice_templates::Column::Pid.eq(pid))
        .filter(invoice_templates::Column::CompanyId.eq(company_id))
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let client = client_rows::Entity::find_by_id(template.client_id)
        .one(&ctx.db)
        .await?
        .filter(|c| c.company_id == company_id)
        .ok_or(ServiceError::NotFound)?;
    let mut input: DraftInput = serde_json::from_str(&template.content_json)
        .map_err(|e| ServiceError::Other(format!("template: {e}")))?;
    input.client = client.pid.to_string();
    Ok(input)
}

/// Deletes a template.
///
/// # Errors
/// `NotFound`.
pub async fn delete(
    ctx: &AppContext,
    company_id: i64,
    template_pid: &str,
) -> Result<(), ServiceError> {
    let pid = uuid::Uuid::parse_str(template_pid).map_err(|_| ServiceError::NotFound)?;
    let deleted = invoice_templates::Entity::delete_many()
        .filter(invoice_templates::Column::Pid.eq(pid))
        .filter(invoice_templates::Column::CompanyId.eq(company_id))
        .exec(&ctx.db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}
