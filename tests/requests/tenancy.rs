use encaisse::domain::roles::Role;

use crate::support::*;

#[tokio::test]
async fn another_companys_users_answer_404() {
    with_app(|server, ctx| async move {
        let (company_a, _) = company_with_admin(&ctx, "Société A", "admin@a.fr").await;
        let member_a = add_user(&ctx, &company_a, "membre@a.fr", Role::Member).await;
        company_with_admin(&ctx, "Société B", "admin@b.fr").await;

        log_in(&server, "admin@b.fr", PASSWORD).await;
        let list = server.get("/settings/users").await.text();
        assert!(
            !list.contains("membre@a.fr"),
            "B's list never shows A's users"
        );

        assert_eq!(
            server
                .get(&format!("/settings/users/{}/remove", member_a.pid))
                .await
                .status_code(),
            404
        );
        let role = post_form(
            &server,
            &format!("/settings/users/{}/role", member_a.pid),
            &[("role", "admin")],
        )
        .await;
        assert_eq!(role.status_code(), 404);
        let remove = post_form(
            &server,
            &format!("/settings/users/{}/remove", member_a.pid),
            &[("confirm", "yes")],
        )
        .await;
        assert_eq!(remove.status_code(), 404);

        let untouched = user_by_email(&ctx, "membre@a.fr").await.unwrap();
        assert_eq!(untouched.role, "member");
        // A made-up id answers the same as a real one of another company.
        assert_eq!(
            server
                .get("/settings/users/not-a-uuid/remove")
                .await
                .status_code(),
            404
        );
    })
    .await;
}
