//! Documents produced from the frozen invoice view: the PDF, the Factur-X PDF (PDF/A-3
//! with its CII XML) and the example documents that tests and the benchmark render.

pub mod cii;
#[cfg(test)]
mod corpus;
pub mod example;
pub mod facturx;
pub mod pdf;
pub mod ubl;
pub mod xml;
