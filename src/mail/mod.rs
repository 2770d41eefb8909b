//! E-mail: every message is rendered from `assets/mail/<template>/{subject.txt,html.html,text.txt}`
//! into an outbox row written in the caller's transaction; a job delivers it afterwards.

use chrono::{DateTime, FixedOffset};
use lettre::{
    message::{
        header::ContentType, Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart,
    },
    transport::smtp::{authentication::Credentials, client::Tls, client::TlsParameters},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use loco_rs::config::MailerTls;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;

use crate::{
    domain::{locale::Locale, outbox::Status},
    models::_entities::{document_files, outbox_attachments, outbox_messages},
};

pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// A message to write to the outbox.
pub struct OutgoingMail {
    /// Folder under `assets/mail/`.
    pub template: &'static str,
    pub locale: Locale,
    pub to_address: String,
    pub to_name: Option<String>,
    pub company_id: Option<i64>,
    /// Variables of the template (`lang` is added).
    pub context: Value,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("template: {0}")]
    Template(String),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

fn render_part(template: &str, part: &str, context: &Value) -> Result<String, MailError> {
    crate::views::render(&format!("{template}/{part}"), context).map_err(MailError::Template)
}

/// A message rendered from its template.
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// Renders the three parts of a mail template; `context` must carry `lang`.
///
/// # Errors
/// When a template fails to render.
pub fn render_message(template: &str, context: &Value) -> Result<Rendered, MailError> {
    Ok(Rendered {
        subject: render_part(template, "subject.txt", context)?
            .trim()
            .to_string(),
        html: render_part(template, "html.html", context)?,
        text: render_part(template, "text.txt", context)?,
    })
}

/// Renders and stores the message in the outbox using `db`, which is the caller's
/// transaction: the mail exists if and only if the business change commits.
///
/// # Errors
/// When a template fails to render or the insert fails.
pub async fn write_to_outbox<C: ConnectionTrait>(
    db: &C,
    now: DateTime<FixedOffset>,
    mail: OutgoingMail,
) -> Result<outbox_messages::Model, MailError> {
    let mut context = mail.context;
    if let Value::Object(map) = &mut context {
        map.insert("lang".into(), Value::String(mail.locale.tag().into()));
    }
    let Rendered {
        subject,
        html: html_body,
        text: text_body,
    } = render_message(mail.template, &context)?;
    let message = outbox_messages::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        template: Set(mail.template.to_string()),
        locale: Set(mail.locale.tag().to_string()),
        to_address: Set(mail.to_address),
        to_name: Set(mail.to_name),
        subject: Set(subject),
        html_body: Set(html_body),
        text_body: Set(text_body),
        status: Set(Status::Pending.as_str().to_string()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        company_id: Set(mail.company_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for attachment in mail.attachments {
        outbox_attachments::ActiveModel {
            message_id: Set(message.id),
            filename: Set(attachment.filename),
            content_type: Set(attachment.content_type),
            content: Set(attachment.content),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(message)
}

/// The attachments of an outbox message in order, each with its bytes: a copy held in the
/// row, or the stored file the row names (an invoice's PDF is not copied, see migration
/// m20261125_000004_outbox_file_refs).
///
/// # Errors
/// Database errors; `RecordNotFound` when a named file is missing (it is never deleted).
pub async fn attachments_of<C: ConnectionTrait>(
    db: &C,
    message_id: i64,
) -> Result<Vec<outbox_attachments::Model>, sea_orm::DbErr> {
    let rows = outbox_attachments::Entity::find()
        .filter(outbox_attachments::Column::MessageId.eq(message_id))
        .order_by_asc(outbox_attachments::Column::Id)
        .find_also_related(document_files::Entity)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(mut attachment, file)| {
            if attachment.file_id.is_some() {
                let file = file.ok_or_else(|| {
                    sea_orm::DbErr::RecordNotFound(format!(
                        "stored file of outbox attachment {}",
                        attachment.id
                    ))
                })?;
                attachment.content = file.content;
            }
            Ok(attachment)
        })
        .collect()
}

/// Builds the MIME message: text and HTML alternatives, then attachments. The Message-ID is
/// derived from the outbox row so that a retry after an unknown outcome is recognisable.
///
/// # Errors
/// When an address or a content type is invalid.
pub fn build_message(
    from: &str,
    message: &outbox_messages::Model,
    attachments: &[outbox_attachments::Model],
) -> Result<Message, String> {
    let from: Mailbox = from.parse().map_err(|e| format!("from address: {e}"))?;
    let to = Mailbox::new(
        message.to_name.clone(),
        message
            .to_address
            .parse()
            .map_err(|e| format!("recipient: {e}"))?,
    );
    let alternative = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(message.text_body.clone()),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(message.html_body.clone()),
        );
    let body = if attachments.is_empty() {
        alternative
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for attachment in attachments {
            let content_type = ContentType::parse(&attachment.content_type)
                .map_err(|e| format!("attachment content type: {e}"))?;
            mixed = mixed.singlepart(
                LettreAttachment::new(attachment.filename.clone())
                    .body(attachment.content.clone(), content_type),
            );
        }
        mixed
    };
    let domain = from.email.domain().to_string();
    Message::builder()
        .from(from)
        .to(to)
        .subject(message.subject.clone())
        .message_id(Some(format!("<{}@{domain}>", message.pid)))
        .multipart(body)
        .map_err(|e| e.to_string())
}

/// Where delivered mail goes.
#[derive(Clone)]
pub enum MailTransport {
    /// Development: the message is kept and shown at `/dev/mailbox`.
    DevMailbox,
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Production without SMTP settings: messages wait in the outbox.
    Unconfigured,
}

impl MailTransport {
    /// From loco's `mailer.smtp` settings (host, port, secure, auth).
    ///
    /// # Errors
    /// When TLS parameters cannot be built.
    pub fn from_config(
        config: &loco_rs::config::Config,
        dev_mailbox: bool,
    ) -> loco_rs::Result<Self> {
        let smtp = config
            .mailer
            .as_ref()
            .and_then(|m| m.smtp.as_ref())
            .filter(|s| s.enable);
        match smtp {
            Some(smtp) => {
                let auth = smtp
                    .auth
                    .as_ref()
                    .map(|a| (a.user.clone(), a.password.clone()));
                Ok(Self::Smtp(smtp_transport(
                    &smtp.host,
                    smtp.port,
                    smtp.tls_mode(),
                    auth,
                )?))
            }
            None if dev_mailbox => Ok(Self::DevMailbox),
            None => Ok(Self::Unconfigured),
        }
    }

    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::DevMailbox => "dev-mailbox",
            Self::Smtp(_) => "smtp",
            Self::Unconfigured => "none",
        }
    }

    /// # Errors
    /// The SMTP error, as text, when the server refuses or cannot be reached.
    pub async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Self::DevMailbox => Ok(()),
            Self::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Self::Unconfigured => Err("no SMTP server is configured (mailer.smtp)".to_string()),
        }
    }
}

/// # Errors
/// When TLS parameters cannot be built for `host`.
pub fn smtp_transport(
    host: &str,
    port: u16,
    tls: MailerTls,
    auth: Option<(String, String)>,
) -> loco_rs::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(std::time::Duration::from_secs(10)));
    let parameters =
        || TlsParameters::new(host.to_string()).map_err(|e| loco_rs::Error::string(&e.to_string()));
    builder = match tls {
        MailerTls::None => builder.tls(Tls::None),
        MailerTls::Starttls => builder.tls(Tls::Required(parameters()?)),
        MailerTls::Implicit => builder.tls(Tls::Wrapper(parameters()?)),
    };
    if let Some((user, password)) = auth {
        builder = builder.credentials(Credentials::new(user, password));
    }
    Ok(builder.build())
}
