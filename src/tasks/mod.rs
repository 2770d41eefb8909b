pub mod bill_subscriptions;
pub mod create_staff;
pub mod payment_link;
pub mod work_jobs;
