//! `cargo loco task bill_subscriptions [date:YYYY-MM-DD]`: the daily billing run, by hand
//! (operations, tests). Without a date it bills today (Europe/Paris); invoices are dated
//! the day billed, so a date after today is refused, like any invoice dated in the future.

use loco_rs::{
    app::AppContext,
    task::{Task, TaskInfo, Vars},
    Result,
};

use crate::services::{bill_subscriptions, issue_invoice::paris_date};

pub struct BillSubscriptions;

#[async_trait::async_trait]
impl Task for BillSubscriptions {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "bill_subscriptions".to_string(),
            detail:
                "Issue every subscription invoice due: [date:YYYY-MM-DD] (today, Paris, by default)"
                    .to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &Vars) -> Result<()> {
        let today = paris_date(crate::clock::of(ctx).now());
        let date = match vars.cli_arg("date") {
            Ok(value) => crate::domain::draft::parse_date(value)
                .map_err(|_| loco_rs::Error::string("date: YYYY-MM-DD expected"))?,
            Err(_) => today,
        };
        if date > today {
            return Err(loco_rs::Error::string(&format!(
                "date {date} is after today ({today}): invoices are never dated in the future"
            )));
        }
        println!("billing run for {date}");
        let started = std::time::Instant::now();
        let report = bill_subscriptions::run(ctx, date, &mut |p| {
            println!(
                "[{}/{}] {}: {} invoice(s){}",
                p.done,
                p.companies,
                p.company,
                p.invoices,
                if p.failures > 0 {
                    format!(", {} failure(s)", p.failures)
                } else {
                    String::new()
                }
            );
        })
        .await
        .map_err(|e| loco_rs::Error::string(&e.to_string()))?;
        println!(
            "done in {:.1} s: {} invoice(s) for {} company(ies), {} failure(s)",
            started.elapsed().as_secs_f64(),
            report.invoices,
            report.companies,
            report.failures.len()
        );
        for failure in &report.failures {
            println!(
                "  failed: company {} subscription {}: {}",
                failure.company_id,
                failure
                    .subscription_pid
                    .map_or_else(|| "-".to_string(), |p| p.to_string()),
                failure.reason
            );
        }
        if report.failures.is_empty() {
            Ok(())
        } else {
            Err(loco_rs::Error::string(&format!(
                "{} subscription(s) not billed (retried by the next run)",
                report.failures.len()
            )))
        }
    }
}
