//! The `calibrate` command's readable tables: each free parameter with its
//! estimate and 95 % interval (or why it cannot be identified), and each
//! observation beside the simulated value at the estimate.

use crate::calibrate::Calibration;
use crate::output::text::{align, printable};

/// The text printed by `calibrate`. `value(k, x)` writes parameter `k`'s value
/// as the scenario takes it (a number, or minutes as `"12.5m"`).
pub fn text(c: &Calibration, value: &dyn Fn(usize, f64) -> String) -> String {
    let parameters: Vec<Vec<String>> = c
        .parameters
        .iter()
        .enumerate()
        .map(|(k, p)| {
            vec![
                printable(&p.key),
                value(k, p.estimate),
                format!("{} – {}", value(k, p.ci95[0]), value(k, p.ci95[1])),
                match &p.why {
                    None => "yes".to_string(),
                    Some(why) => format!("no: {why}"),
                },
            ]
        })
        .collect();
    let fit: Vec<Vec<String>> = c
        .fit
        .iter()
        .map(|f| {
            vec![
                printable(&f.metric),
                printable(f.region.as_deref().unwrap_or("all regions")),
                format!("{:.4}", f.observed),
                format!("{:.4} ({})", f.sd, f.sd_rule),
                format!("{:.4}", f.simulated.mean),
                format!("{:.4} – {:.4}", f.simulated.ci95[0], f.simulated.ci95[1]),
            ]
        })
        .collect();
    let mut out = String::from("Free parameters (posterior median and 95 % interval)\n");
    out += &align(&["key", "estimate", "95 % interval", "identifiable"].map(String::from), &parameters);
    out += "\nFit at the estimate (fresh replications)\n";
    out += &align(
        &["metric", "region", "observed", "sd used", "simulated", "95 % interval"].map(String::from),
        &fit,
    );
    out += &format!(
        "\n{} replications simulated in {} waves.{}\n",
        c.simulations,
        c.waves,
        if !c.fits {
            " POOR FIT: see the note below; do not read the estimates above as fitted values."
        } else if c.identifiable {
            ""
        } else {
            " NOT IDENTIFIABLE: the observations do not pin down every parameter; do not read the estimates above as fitted values."
        }
    );
    for note in &c.notes {
        out += &format!("note: {note}\n");
    }
    out
}
