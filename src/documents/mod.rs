//! Documents produced from the frozen invoice view: the PDF and the example documents
//! that tests and the benchmark render.

pub mod example;
pub mod pdf;
