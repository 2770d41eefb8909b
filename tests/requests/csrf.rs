use crate::support::*;

#[tokio::test]
async fn a_form_post_without_a_valid_token_is_refused_and_changes_nothing() {
    with_app(|server, ctx| async move {
        company_with_admin(&ctx, "Atelier", "alice@atelier.fr").await;
        log_in(&server, "alice@atelier.fr", PASSWORD).await;

        let fields = [
            ("name", "Eve"),
            ("email", "eve@atelier.fr"),
            ("role", "admin"),
        ];
        let missing = server.post("/settings/users/invite").form(&fields).await;
        assert_eq!(missing.status_code(), 403);
        assert!(missing.text().contains("Formulaire expiré"));

        let mut forged: Vec<(&str, &str)> = fields.to_vec();
        forged.push((
            "csrf_token",
            "0000000000000000000000000000000000000000000000000000000000000000",
        ));
        assert_eq!(
            server
                .post("/settings/users/invite")
                .form(&forged)
                .await
                .status_code(),
            403
        );

        assert!(user_by_email(&ctx, "eve@atelier.fr").await.is_none());
        assert!(mails_to(&ctx, "eve@atelier.fr").await.is_empty());

        // Logging in needs the token too (login CSRF).
        log_out(&server).await;
        let login = server
            .post("/login")
            .form(&[("email", "alice@atelier.fr"), ("password", PASSWORD)])
            .await;
        assert_eq!(login.status_code(), 403);
    })
    .await;
}
