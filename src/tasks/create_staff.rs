//! `cargo loco task create_staff name:"Sam Martin" email:sam@encaisse.fr password:...`
//! Staff users never sign up: an operator creates them here.

use loco_rs::{
    app::AppContext,
    task::{Task, TaskInfo, Vars},
    Result,
};

use crate::services::{user_admin, ServiceError};

pub struct CreateStaff;

#[async_trait::async_trait]
impl Task for CreateStaff {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "create_staff".to_string(),
            detail: "Create a staff (platform operator) user: name:<name> email:<email> password:<password>".to_string(),
        }
    }

    async fn run(&self, ctx: &AppContext, vars: &Vars) -> Result<()> {
        let name = vars.cli_arg("name")?;
        let email = vars.cli_arg("email")?;
        let password = vars.cli_arg("password")?;
        match user_admin::create_staff(ctx, name, email, password).await {
            Ok(user) => {
                println!("staff user created: {}", user.email);
                Ok(())
            }
            Err(ServiceError::Invalid(errors)) => {
                let list: Vec<String> = errors
                    .0
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.code))
                    .collect();
                Err(loco_rs::Error::string(&format!(
                    "refused: {}",
                    list.join(", ")
                )))
            }
            Err(other) => Err(loco_rs::Error::string(&format!("{other:?}"))),
        }
    }
}
