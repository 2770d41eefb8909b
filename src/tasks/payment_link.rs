//! `cargo loco task payment_link client:<client id or customer number or e-mail>`
//! Prints a client's payment page URL (made if the client has none yet), e.g. to send it
//! by another channel, or for the payment page benchmark (BENCHMARKS.md).

use loco_rs::{
    app::AppContext,
    task::{Task, TaskInfo, Vars},
    Result,
};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use crate::{models::_entities::clients, services::payment_links};

pub struct PaymentLink;

#[async_trait::async_trait]
impl Task for PaymentLink {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "payment_link".to_string(),
            detail: "Print a client's payment page URL: client:<client id, customer number or contact e-mail>".to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &Vars) -> Result<()> {
        let wanted = vars.cli_arg("client")?.trim().to_string();
        let mut condition = Condition::any()
            .add(clients::Column::CustomerNumber.eq(wanted.as_str()))
            .add(clients::Column::ContactEmail.eq(wanted.as_str()));
        if let Ok(pid) = uuid::Uuid::parse_str(&wanted) {
            condition = condition.add(clients::Column::Pid.eq(pid));
        }
        let found = clients::Entity::find()
            .filter(condition)
            .all(&ctx.db)
            .await?;
        let client = match found.as_slice() {
            [one] => one,
            [] => {
                return Err(loco_rs::Error::string(&format!(
                    "no client matches {wanted}"
                )))
            }
            _ => {
                return Err(loco_rs::Error::string(&format!(
                    "{} clients match {wanted}: give the client id",
                    found.len()
                )))
            }
        };
        let link = payment_links::ensure_for(ctx, client.company_id, client, None)
            .await
            .map_err(|e| loco_rs::Error::string(&e.to_string()))?;
        println!("{}", payment_links::UrlMaker::of(ctx).url(&link, None));
        Ok(())
    }
}
