pub mod bill_subscriptions;
pub mod create_staff;
pub mod work_jobs;
