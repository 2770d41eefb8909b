use std::{net::SocketAddr, path::Path};

use async_trait::async_trait;
use axum::Router as AxumRouter;
use loco_rs::{
    app::{AppContext, Hooks},
    bgworker::Queue,
    boot::{create_app, BootResult, ServeParams, StartMode},
    config::Config,
    controller::AppRoutes,
    environment::Environment,
    task::Tasks,
    Result,
};
use migration::Migrator;

use crate::{
    clock::Clock, controllers, jobs::JobStore, mail::MailTransport, settings::Settings, tasks, web,
};

pub struct App;

#[async_trait]
impl Hooks for App {
    fn app_name() -> &'static str {
        env!("CARGO_CRATE_NAME")
    }

    fn app_version() -> String {
        format!(
            "{} ({})",
            env!("CARGO_PKG_VERSION"),
            option_env!("BUILD_SHA").unwrap_or("dev")
        )
    }

    async fn boot(
        mode: StartMode,
        environment: &Environment,
        config: Config,
    ) -> Result<BootResult> {
        create_app::<Self, Migrator>(mode, environment, config).await
    }

    /// Shared services, in every mode (server, tasks, tests).
    async fn after_context(ctx: AppContext) -> Result<AppContext> {
        let settings = Settings::from_config(&ctx.config)?;
        if ctx.db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
            ctx.shared_store
                .insert(crate::services::pay_page_sqlite::Readers::new(
                    &ctx.config.database.uri,
                ));
        }
        crate::views::init()?;
        ctx.shared_store.insert(MailTransport::from_config(
            &ctx.config,
            settings.dev_mailbox,
        )?);
        ctx.shared_store.insert(
            crate::services::stripe_payments::StripeGateway::build(&settings.stripe)
                .map_err(|e| loco_rs::Error::string(&format!("stripe: {e}")))?,
        );
        ctx.shared_store.insert(settings);
        ctx.shared_store.insert(Clock::default());
        ctx.shared_store.insert(JobStore::connect(&ctx).await?);
        Ok(ctx)
    }

    async fn before_run(ctx: &AppContext) -> Result<()> {
        let settings = Settings::of(ctx);
        if settings.seed_demo && ctx.environment == Environment::Development {
            match crate::services::seed_demo::seed_if_empty(ctx).await {
                Ok(true) => {
                    tracing::info!("demo company and users created (see README for the logins)")
                }
                Ok(false) => {}
                Err(e) => return Err(loco_rs::Error::string(&format!("demo seed: {e:?}"))),
            }
        }
        Ok(())
    }

    fn routes(_ctx: &AppContext) -> AppRoutes {
        AppRoutes::empty()
            .add_route(controllers::home::routes())
            .add_route(controllers::auth::routes())
            .add_route(controllers::dashboard::routes())
            .add_route(controllers::users::routes())
            .add_route(controllers::company_settings::routes())
            .add_route(controllers::api_keys::routes())
            .add_route(controllers::clients::routes())
            .add_route(controllers::invoice_wizard::routes())
            .add_route(controllers::invoices::routes())
            .add_route(controllers::subscriptions::routes())
            .add_route(controllers::api::routes())
            .add_route(controllers::staff::routes())
            .add_route(controllers::dev_mailbox::routes())
            .add_route(controllers::pay::routes())
            .add_route(controllers::payments::routes())
    }

    async fn after_routes(router: AxumRouter, ctx: &AppContext) -> Result<AxumRouter> {
        // Shared, not cloned per request: the middleware runs on every request.
        let settings = std::sync::Arc::new(Settings::of(ctx));
        Ok(router.layer(axum::middleware::from_fn_with_state(
            settings,
            web::middleware::web_context,
        )))
    }

    /// Only the web server runs this: the embedded default works jobs and crons in the same
    /// process unless `settings.jobs.in_process` is off (scaled-out web processes).
    async fn serve(app: AxumRouter, ctx: &AppContext, serve_params: &ServeParams) -> Result<()> {
        let (stop_jobs, jobs_stopped) = tokio::sync::oneshot::channel::<()>();
        let jobs = if Settings::of(ctx).jobs.in_process {
            let jobs_ctx = ctx.clone();
            Some(tokio::spawn(async move {
                let shutdown = async {
                    let _ = jobs_stopped.await;
                };
                if let Err(e) = crate::jobs::run_until(&jobs_ctx, shutdown).await {
                    tracing::error!(error = %e, "job monitor stopped");
                }
            }))
        } else {
            None
        };
        let listener = tokio::net::TcpListener::bind(&format!(
            "{}:{}",
            serve_params.binding, serve_params.port
        ))
        .await?;
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            loco_rs::boot::shutdown_signal().await;
            tracing::info!("shutting down...");
        })
        .await?;
        let _ = stop_jobs.send(());
        if let Some(handle) = jobs {
            let _ = handle.await;
        }
        Ok(())
    }

    async fn connect_workers(_ctx: &AppContext, _queue: &Queue) -> Result<()> {
        // Jobs run on apalis (src/jobs), not on Loco's queue.
        Ok(())
    }

    fn register_tasks(tasks: &mut Tasks) {
        tasks.register(tasks::bill_subscriptions::BillSubscriptions);
        tasks.register(tasks::create_staff::CreateStaff);
        tasks.register(tasks::payment_link::PaymentLink);
        tasks.register(tasks::work_jobs::WorkJobs);
    }

    async fn truncate(_ctx: &AppContext) -> Result<()> {
        Ok(())
    }

    async fn seed(_ctx: &AppContext, _base: &Path) -> Result<()> {
        Ok(())
    }
}
