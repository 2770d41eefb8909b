use chrono::Duration;
use encaisse::models::_entities::{companies, outbox_messages, users};

use crate::support::*;

#[tokio::test]
async fn sign_up_activate_log_in_and_out() {
    with_app(|server, ctx| async move {
        let response = post_form(
            &server,
            "/signup",
            &[
                ("company_name", "Studio Lumière"),
                ("name", "Claire Dubois"),
                ("email", " Claire@Studio-Lumiere.FR "),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
        assert_eq!(response.status_code(), 200);
        assert!(response.text().contains("claire@studio-lumiere.fr"));

        // The company, its admin and the activation mail were written together.
        let user = user_by_email(&ctx, "claire@studio-lumiere.fr")
            .await
            .expect("user stored lowercase");
        assert_eq!(user.role, "admin");
        assert!(user.activated_at.is_none());
        let mails = mails_to(&ctx, "claire@studio-lumiere.fr").await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].template, "account_activation");
        assert_eq!(mails[0].subject, "Activez votre compte Encaisse");

        // Not active yet: login refused with a clear message.
        let refused = log_in(&server, "claire@studio-lumiere.fr", PASSWORD).await;
        assert_eq!(refused.status_code(), 422);
        assert!(refused.text().contains("pas encore activé"));

        let link = link_path(&mails[0], "/activate/");
        let link = &link[link.find("/activate/").unwrap()..];
        assert_eq!(server.get(link).await.status_code(), 200);
        let activated = post_form(&server, link, &[]).await;
        assert_eq!(location(&activated), "/login");
        // The link is single-use.
        assert_eq!(server.get(link).await.status_code(), 404);

        let logged_in = log_in(&server, "claire@studio-lumiere.fr", PASSWORD).await;
        assert_eq!(location(&logged_in), "/dashboard");
        let cookie = logged_in
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("encaisse_session="))
            .unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
        let dashboard = server.get("/dashboard").await;
        assert_eq!(dashboard.status_code(), 200);
        assert!(dashboard.text().contains("Studio Lumière"));

        log_out(&server).await;
        let after = server.get("/dashboard").await;
        assert_eq!(after.status_code(), 303);
        assert!(location(&after).starts_with("/login"));
    })
    .await;
}

#[tokio::test]
async fn bad_sign_up_shows_field_errors_and_writes_nothing() {
    with_app(|server, ctx| async move {
        let response = post_form(
            &server,
            "/signup",
            &[
                ("company_name", ""),
                ("name", "Claire"),
                ("email", "claire@"),
                ("password", "court"),
                ("password_confirmation", "court"),
            ],
        )
        .await;
        assert_eq!(response.status_code(), 422);
        let html = response.text();
        assert!(html.contains("Ce champ est obligatoire."));
        assert!(html.contains("Adresse e-mail invalide"));
        assert!(html.contains("au moins 10 caractères"));
        assert_eq!(count::<companies::Entity>(&ctx).await, 0);
        assert_eq!(count::<users::Entity>(&ctx).await, 0);
        assert_eq!(count::<outbox_messages::Entity>(&ctx).await, 0);

        // An address that already has an account is refused the same way.
        company_with_admin(&ctx, "Existant", "pris@exemple.fr").await;
        let taken = post_form(
            &server,
            "/signup",
            &[
                ("company_name", "Autre"),
                ("name", "X"),
                ("email", "PRIS@exemple.fr"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
        assert_eq!(taken.status_code(), 422);
        assert!(taken.text().contains("Un compte existe déjà"));
        assert_eq!(count::<companies::Entity>(&ctx).await, 1);
    })
    .await;
}

#[tokio::test]
async fn password_reset_by_email() {
    with_app(|server, ctx| async move {
        company_with_admin(&ctx, "Atelier", "alice@atelier.fr").await;

        // Unknown address: same answer, no mail.
        let unknown = post_form(
            &server,
            "/password/forgot",
            &[("email", "personne@atelier.fr")],
        )
        .await;
        assert_eq!(location(&unknown), "/login");
        assert!(mails_to(&ctx, "personne@atelier.fr").await.is_empty());

        let asked = post_form(
            &server,
            "/password/forgot",
            &[("email", "alice@atelier.fr")],
        )
        .await;
        assert_eq!(location(&asked), "/login");
        let mails = mails_to(&ctx, "alice@atelier.fr").await;
        assert_eq!(mails.len(), 1);
        let link = link_path(&mails[0], "http");
        let path = &link[link.find("/password/reset/").unwrap()..];

        let mismatch = post_form(
            &server,
            path,
            &[
                ("password", "nouveau-secret-1"),
                ("password_confirmation", "autre-chose-1"),
            ],
        )
        .await;
        assert_eq!(mismatch.status_code(), 422);
        let done = post_form(
            &server,
            path,
            &[
                ("password", "nouveau-secret-1"),
                ("password_confirmation", "nouveau-secret-1"),
            ],
        )
        .await;
        assert_eq!(location(&done), "/login");
        assert_eq!(
            server.get(path).await.status_code(),
            404,
            "a reset link works once"
        );

        assert_eq!(
            log_in(&server, "alice@atelier.fr", PASSWORD)
                .await
                .status_code(),
            422
        );
        assert_eq!(
            location(&log_in(&server, "alice@atelier.fr", "nouveau-secret-1").await),
            "/dashboard"
        );

        // An expired link (over an hour) is refused.
        post_form(
            &server,
            "/password/forgot",
            &[("email", "alice@atelier.fr")],
        )
        .await;
        let mails = mails_to(&ctx, "alice@atelier.fr").await;
        let link = link_path(mails.last().unwrap(), "http");
        let path = link[link.find("/password/reset/").unwrap()..].to_string();
        encaisse::clock::of(&ctx).advance(Duration::minutes(61));
        assert_eq!(server.get(&path).await.status_code(), 404);
    })
    .await;
}

#[tokio::test]
async fn login_attempts_are_rate_limited() {
    with_app(|server, ctx| async move {
        company_with_admin(&ctx, "Atelier", "alice@atelier.fr").await;
        for _ in 0..5 {
            assert_eq!(
                log_in(&server, "alice@atelier.fr", "mauvais-mot-de-passe")
                    .await
                    .status_code(),
                422
            );
        }
        // Even the right password is not checked while throttled.
        let throttled = log_in(&server, "alice@atelier.fr", PASSWORD).await;
        assert_eq!(throttled.status_code(), 429);
        assert!(throttled.text().contains("Trop de tentatives"));

        encaisse::clock::of(&ctx).advance(Duration::minutes(16));
        assert_eq!(
            location(&log_in(&server, "alice@atelier.fr", PASSWORD).await),
            "/dashboard"
        );
    })
    .await;
}

#[tokio::test]
async fn pages_follow_the_browser_language_and_the_chosen_one() {
    with_app(|server, _ctx| async move {
        assert!(
            server.get("/login").await.text().contains("Connexion"),
            "French by default"
        );
        let english = server
            .get("/login")
            .add_header("accept-language", "en-US,en;q=0.9")
            .await;
        assert!(english.text().contains("Log in"));
        let chosen = post_form(
            &server,
            "/language",
            &[("lang", "sv-SE"), ("return_to", "/login")],
        )
        .await;
        assert_eq!(location(&chosen), "/login");
        assert!(server.get("/login").await.text().contains("Logga in"));
    })
    .await;
}
