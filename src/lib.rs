//! nursequeue: a discrete-event simulator of shared, multi-region nurse
//! telephone queues (the Swedish 1177 advice line and its collaboration
//! agreements). See the README for the model and the scenario format.

pub mod calendar;
pub mod dist;
pub mod scenario;
pub mod engine;
pub mod model;
pub mod routing;
pub mod stats;
pub mod experiment;
pub mod erlang;
pub mod report;
pub mod cli;
