//! The outbox: written with the business change, delivered by the job, retried with
//! backoff when SMTP is down, delivered exactly once. Uses a real SMTP server on loopback
//! (PyPI aiosmtpd, installed in `.venv` by `bin/test`).

use std::{
    net::{TcpListener, TcpStream},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use encaisse::{
    domain::locale::Locale,
    jobs,
    mail::{self, smtp_transport, Attachment, MailTransport, OutgoingMail},
    models::_entities::{companies, outbox_messages},
    services::{accounts, deliver_mail},
};
use loco_rs::config::MailerTls;
use sea_orm::{ActiveModelTrait, EntityTrait, Set, TransactionTrait};
use serde_json::json;

use crate::support::*;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// aiosmtpd writing every message it receives into a maildir.
struct SmtpSink {
    child: Child,
    maildir: tempfile::TempDir,
}

impl SmtpSink {
    fn start(port: u16) -> Self {
        let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run the test suite with bin/test (it installs aiosmtpd)",
            python.display()
        );
        let maildir = tempfile::tempdir().unwrap();
        let child = Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("box"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, maildir }
    }

    fn messages(&self) -> Vec<String> {
        let mut found = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir.path().join("box").join(sub)) {
                for entry in entries {
                    found.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
                }
            }
        }
        found
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn use_smtp(ctx: &loco_rs::app::AppContext, port: u16) {
    ctx.shared_store.insert(MailTransport::Smtp(
        smtp_transport("127.0.0.1", port, MailerTls::None, None).unwrap(),
    ));
}

#[tokio::test]
async fn the_mail_commits_or_rolls_back_with_the_business_change() {
    let app = boot().await;
    let ctx = app.ctx();
    let now = encaisse::clock::of(ctx).now();
    let mail = || OutgoingMail {
        template: "password_reset",
        locale: Locale::Fr,
        to_address: "alice@atelier.fr".into(),
        to_name: None,
        company_id: None,
        context: json!({ "name": "Alice", "link": "http://x/y", "valid_minutes": 60 }),
        attachments: vec![],
    };
    let company = |name: &str| companies::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        legal_name: Set(name.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };

    let txn = ctx.db.begin().await.unwrap();
    company("Annulée").insert(&txn).await.unwrap();
    mail::write_to_outbox(&txn, now, mail()).await.unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(count::<companies::Entity>(ctx).await, 0);
    assert_eq!(count::<outbox_messages::Entity>(ctx).await, 0);

    let txn = ctx.db.begin().await.unwrap();
    company("Validée").insert(&txn).await.unwrap();
    mail::write_to_outbox(&txn, now, mail()).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(count::<companies::Entity>(ctx).await, 1);
    assert_eq!(count::<outbox_messages::Entity>(ctx).await, 1);
}

#[tokio::test]
async fn smtp_down_is_retried_and_the_mail_is_delivered_exactly_once() {
    let app = boot().await;
    let ctx = app.ctx();
    let port = free_port();
    use_smtp(ctx, port);
    company_with_admin(ctx, "Atelier", "alice@atelier.fr").await;

    accounts::request_password_reset(ctx, "alice@atelier.fr")
        .await
        .unwrap();
    jobs::drain(ctx).await;
    let message = mails_to(ctx, "alice@atelier.fr").await.remove(0);
    assert_eq!(message.status, "pending", "SMTP is down: kept for a retry");
    assert_eq!(message.attempts, 1);
    assert!(message.last_error.is_some());

    let sink = SmtpSink::start(port);
    // The backoff is not over yet: nothing is due.
    assert_eq!(deliver_mail::enqueue_due(ctx).await.unwrap(), 0);
    encaisse::clock::of(ctx).advance(chrono::Duration::minutes(1));
    assert_eq!(deliver_mail::enqueue_due(ctx).await.unwrap(), 1);
    jobs::drain(ctx).await;

    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert!(received[0].lines().any(|l| l.starts_with("To: ")
        && l.contains("Alice Admin")
        && l.contains("<alice@atelier.fr>")));
    assert!(received[0].contains(&format!("Message-ID: <{}@encaisse.localhost>", message.pid)));
    assert!(received[0].contains("/password/reset/"));
    let sent = outbox_messages::Entity::find_by_id(message.id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent.status, "sent");
    assert_eq!(sent.transport.as_deref(), Some("smtp"));

    // Retries, replays and sweeps change nothing.
    jobs::enqueue_mail(ctx, message.id).await;
    jobs::enqueue_mail(ctx, message.id).await;
    deliver_mail::enqueue_due(ctx).await.unwrap();
    jobs::drain(ctx).await;
    assert_eq!(
        deliver_mail::deliver(ctx, message.id).await.unwrap(),
        deliver_mail::Delivery::Skipped
    );
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn attachments_are_sent_with_the_message() {
    let app = boot().await;
    let ctx = app.ctx();
    let port = free_port();
    let sink = SmtpSink::start(port);
    use_smtp(ctx, port);
    let now = encaisse::clock::of(ctx).now();
    // Binary content, as a real PDF has, so that it travels base64-encoded.
    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    pdf.extend((0u8..=255).cycle().take(600));
    let message = mail::write_to_outbox(
        &ctx.db,
        now,
        OutgoingMail {
            template: "password_reset",
            locale: Locale::En,
            to_address: "bob@example.com".into(),
            to_name: Some("Bob".into()),
            company_id: None,
            context: json!({ "name": "Bob", "link": "http://localhost/x", "valid_minutes": 60 }),
            attachments: vec![Attachment {
                filename: "F-2026-000001.pdf".into(),
                content_type: "application/pdf".into(),
                content: pdf.clone(),
            }],
        },
    )
    .await
    .unwrap();
    jobs::enqueue_mail(ctx, message.id).await;
    jobs::drain(ctx).await;
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    let raw = &received[0];
    assert!(raw.contains("Subject: Reset your Encaisse password"));
    assert!(raw.contains("filename=\"F-2026-000001.pdf\""));
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&pdf);
    let unwrapped: String = raw.split_whitespace().collect();
    assert!(
        unwrapped.contains(&encoded),
        "attachment bytes are in the message"
    );
}
