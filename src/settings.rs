//! Application settings, read from the `settings:` section of `config/<env>.yaml`.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Secret for signing CSRF tokens. Comes from the environment in production.
    pub secret_key: String,
    /// Public base URL used in e-mail links, e.g. `https://app.encaisse.fr`.
    pub public_url: String,
    /// Cookies are sent only over HTTPS when true (production).
    #[serde(default)]
    pub secure_cookies: bool,
    /// Shows the development mailbox at `/dev/mailbox`; mail is delivered there when no SMTP
    /// server is configured. Never enable in production.
    #[serde(default)]
    pub dev_mailbox: bool,
    /// Seeds the demo company and users on first start.
    #[serde(default)]
    pub seed_demo: bool,
    /// Sender of every e-mail.
    pub mail_from: String,
    #[serde(default)]
    pub jobs: JobSettings,
    /// Card payments on the payment page; off (no card option) while the keys are empty.
    #[serde(default)]
    pub stripe: StripeSettings,
}

/// Stripe keys and API address, from the environment (`STRIPE_*`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StripeSettings {
    #[serde(default)]
    pub secret_key: String,
    #[serde(default)]
    pub publishable_key: String,
    /// Signing secret of the webhook endpoint (`whsec_…`).
    #[serde(default)]
    pub webhook_secret: String,
    /// The API's base URL: Stripe's own unless set (tests point it at localstripe).
    #[serde(default)]
    pub api_base: String,
}

impl StripeSettings {
    /// Card payments need both API keys.
    #[must_use]
    pub fn enabled(&self) -> bool {
        !self.secret_key.trim().is_empty() && !self.publishable_key.trim().is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct JobSettings {
    /// Runs the job workers and the scheduler inside the web process (embedded default).
    /// Scaled-out web processes set it to false and run `cargo loco task work_jobs`.
    #[serde(default = "default_true")]
    pub in_process: bool,
    /// How often an idle worker looks for new jobs, in milliseconds.
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            in_process: true,
            poll_interval_ms: default_poll_ms(),
        }
    }
}

const fn default_true() -> bool {
    true
}

const fn default_poll_ms() -> u64 {
    1000
}

impl Settings {
    /// # Errors
    /// When the `settings:` section is missing or malformed.
    pub fn from_config(config: &loco_rs::config::Config) -> loco_rs::Result<Self> {
        let value = config
            .settings
            .clone()
            .ok_or_else(|| loco_rs::Error::string("config: the settings section is missing"))?;
        serde_json::from_value(value)
            .map_err(|e| loco_rs::Error::string(&format!("config: invalid settings: {e}")))
    }
}

impl Settings {
    /// The settings of the running app (stored at boot by `after_context`).
    ///
    /// # Panics
    /// When called on a context that did not go through `App::after_context`, which is a
    /// wiring bug.
    #[must_use]
    pub fn of(ctx: &loco_rs::app::AppContext) -> Self {
        ctx.shared_store
            .get::<Self>()
            .expect("settings are stored in the shared store at boot")
    }
}
