//! Reusable view pieces: the layout, the one error template and the loading/empty
//! states, model cards, the chart, tables, the run form, results, stars and the DSL view.

pub mod card;
pub mod chart;
pub mod dsl_view;
pub mod error;
pub mod form;
pub mod layout;
pub mod results;
pub mod stars;
pub mod table;
