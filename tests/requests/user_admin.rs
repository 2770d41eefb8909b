use encaisse::{domain::roles::Role, jobs};

use crate::support::*;

#[tokio::test]
async fn admin_invites_a_user_who_activates_then_changes_role_and_removes() {
    with_app(|server, ctx| async move {
        company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;

        let invited = post_form(
            &server,
            "/settings/users/invite",
            &[
                ("name", "Hugo Membre"),
                ("email", "hugo@nord.fr"),
                ("role", "member"),
            ],
        )
        .await;
        assert_eq!(location(&invited), "/settings/users");
        let list = server.get("/settings/users").await.text();
        assert!(
            list.contains("Invitation envoyée."),
            "flash after the action"
        );
        assert!(list.contains("hugo@nord.fr") && list.contains("Invité"));

        // The invitation goes out through the outbox and the job.
        jobs::drain(&ctx).await;
        let mails = mails_to(&ctx, "hugo@nord.fr").await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].status, "sent");
        assert!(mails[0].subject.contains("Atelier Nord"));
        let link = link_path(&mails[0], "/activate/");

        log_out(&server).await;
        let form = server.get(&link).await.text();
        assert!(form.contains("Choisissez votre mot de passe"));
        let short = post_form(
            &server,
            &link,
            &[("password", "court"), ("password_confirmation", "court")],
        )
        .await;
        assert_eq!(short.status_code(), 422);
        let ok = post_form(
            &server,
            &link,
            &[
                ("password", "hugo-secret-42"),
                ("password_confirmation", "hugo-secret-42"),
            ],
        )
        .await;
        assert_eq!(location(&ok), "/login");
        assert_eq!(
            location(&log_in(&server, "hugo@nord.fr", "hugo-secret-42").await),
            "/dashboard"
        );
        // A member has no access to user administration.
        assert_eq!(server.get("/settings/users").await.status_code(), 403);
        let refused = post_form(
            &server,
            "/settings/users/invite",
            &[("name", "X"), ("email", "x@nord.fr"), ("role", "admin")],
        )
        .await;
        assert_eq!(refused.status_code(), 403);
        assert!(user_by_email(&ctx, "x@nord.fr").await.is_none());
        log_out(&server).await;

        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let hugo = user_by_email(&ctx, "hugo@nord.fr").await.unwrap();
        let changed = post_form(
            &server,
            &format!("/settings/users/{}/role", hugo.pid),
            &[("role", "admin")],
        )
        .await;
        assert_eq!(location(&changed), "/settings/users");
        assert_eq!(
            user_by_email(&ctx, "hugo@nord.fr").await.unwrap().role,
            "admin"
        );

        // Removal needs the confirmation step and the ticked box.
        let confirm_page = server
            .get(&format!("/settings/users/{}/remove", hugo.pid))
            .await;
        assert!(confirm_page.text().contains("Je confirme la suppression"));
        let unticked = post_form(
            &server,
            &format!("/settings/users/{}/remove", hugo.pid),
            &[],
        )
        .await;
        assert_eq!(unticked.status_code(), 422);
        assert!(user_by_email(&ctx, "hugo@nord.fr").await.is_some());
        let removed = post_form(
            &server,
            &format!("/settings/users/{}/remove", hugo.pid),
            &[("confirm", "yes")],
        )
        .await;
        assert_eq!(location(&removed), "/settings/users");
        assert!(user_by_email(&ctx, "hugo@nord.fr").await.is_none());
    })
    .await;
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_demoted_or_removed() {
    with_app(|server, ctx| async move {
        let (company, alice) = company_with_admin(&ctx, "Atelier Sud", "alice@sud.fr").await;
        log_in(&server, "alice@sud.fr", PASSWORD).await;

        let demoted = post_form(
            &server,
            &format!("/settings/users/{}/role", alice.pid),
            &[("role", "member")],
        )
        .await;
        assert_eq!(location(&demoted), "/settings/users");
        assert!(server
            .get("/settings/users")
            .await
            .text()
            .contains("au moins un administrateur actif"));
        assert_eq!(
            user_by_email(&ctx, "alice@sud.fr").await.unwrap().role,
            "admin"
        );

        // A second admin who never activated does not count.
        post_form(
            &server,
            "/settings/users/invite",
            &[("name", "Zoé"), ("email", "zoe@sud.fr"), ("role", "admin")],
        )
        .await;
        let still = post_form(
            &server,
            &format!("/settings/users/{}/role", alice.pid),
            &[("role", "member")],
        )
        .await;
        assert_eq!(location(&still), "/settings/users");
        assert_eq!(
            user_by_email(&ctx, "alice@sud.fr").await.unwrap().role,
            "admin"
        );

        // With another active admin the rule no longer blocks; an admin never removes
        // their own account (another admin must).
        let bruno = add_user(&ctx, &company, "bruno@sud.fr", Role::Admin).await;
        let ok = post_form(
            &server,
            &format!("/settings/users/{}/role", bruno.pid),
            &[("role", "member")],
        )
        .await;
        assert_eq!(location(&ok), "/settings/users");
        assert_eq!(
            user_by_email(&ctx, "bruno@sud.fr").await.unwrap().role,
            "member"
        );
        let self_removal = post_form(
            &server,
            &format!("/settings/users/{}/remove", alice.pid),
            &[("confirm", "yes")],
        )
        .await;
        assert_eq!(location(&self_removal), "/settings/users");
        assert!(user_by_email(&ctx, "alice@sud.fr").await.is_some());
    })
    .await;
}

#[tokio::test]
async fn staff_have_their_own_area() {
    with_app(|server, ctx| async move {
        company_with_admin(&ctx, "Atelier Est", "alice@est.fr").await;
        encaisse::services::user_admin::create_staff(
            &ctx,
            "Sam Staff",
            "sam@encaisse.fr",
            PASSWORD,
        )
        .await
        .unwrap();

        assert_eq!(
            location(&log_in(&server, "sam@encaisse.fr", PASSWORD).await),
            "/staff"
        );
        let sellers = server.get("/staff").await;
        assert_eq!(sellers.status_code(), 200);
        assert!(sellers.text().contains("Atelier Est"));
        assert_eq!(server.get("/dashboard").await.status_code(), 403);
        log_out(&server).await;

        log_in(&server, "alice@est.fr", PASSWORD).await;
        assert_eq!(server.get("/staff").await.status_code(), 403);
        assert_eq!(server.get("/dashboard").await.status_code(), 200);
    })
    .await;
}
