//! Documents produced from the frozen invoice view: the PDF and the example documents
//! that tests and the benchmark render.

pub mod cii;
#[cfg(test)]
mod corpus;
pub mod example;
pub mod pdf;
pub mod ubl;
pub mod xml;
