//! nursequeue: a discrete-event simulator of shared, multi-region nurse
//! telephone queues (the Swedish 1177 advice line and its collaboration
//! agreements). See the README for the model and the scenario format.

pub mod calendar;
pub mod calibrate;
pub mod charts;
pub mod cli;
pub mod dist;
pub mod engine;
pub mod erlang;
pub mod experiment;
pub mod html;
pub mod model;
pub mod report;
pub mod routing;
pub mod scenario;
pub mod stats;
pub mod sweep;
