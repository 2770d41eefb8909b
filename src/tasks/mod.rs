pub mod create_staff;
pub mod work_jobs;
