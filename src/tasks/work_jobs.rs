//! `cargo loco task work_jobs`: a worker process for scaled-out deployments (web processes
//! then run with `ENCAISSE_JOBS_IN_PROCESS=false`). Stops on Ctrl-C / SIGTERM.

use loco_rs::{
    app::AppContext,
    task::{Task, TaskInfo, Vars},
    Result,
};

pub struct WorkJobs;

#[async_trait::async_trait]
impl Task for WorkJobs {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "work_jobs".to_string(),
            detail: "Run the job workers and the Europe/Paris scheduler until stopped".to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, _vars: &Vars) -> Result<()> {
        crate::jobs::run_until(ctx, async {
            loco_rs::boot::shutdown_signal().await;
        })
        .await
    }
}
