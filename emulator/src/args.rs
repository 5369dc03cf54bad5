//! The emulator's command-line flags, defined once: the `plex-pin-emulator` binary and
//! `plex-pin emulator` both flatten [`EmulatorArgs`].

use clap::Args;

use crate::fault::FaultRule;
use crate::options::{seconds_arg, Options};

/// How to run the emulator from a command line.
#[derive(Args, Debug, Clone, Default)]
#[non_exhaustive]
pub struct EmulatorArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Approve every pin this many seconds after its creation.
    #[arg(long, value_name = "SECONDS")]
    pub auto_approve: Option<f64>,
    /// Inject a fault on every API request: 429 (or 429:SECS), 500, 502, malformed, oversized,
    /// slow:ms, drop, xml, redirect. Repeat to queue several; `FAULT*N` fires N times only.
    #[arg(long, value_name = "FAULT")]
    pub fault: Vec<String>,
    /// Refuse, as plex.tv may, what it serves with a warning by default: a pin created or
    /// polled without X-Plex-Product.
    #[arg(long)]
    pub strict: bool,
    /// How long every pin lives, both kinds (plex.tv: 1800 s for strong codes, 900 s for
    /// 4-character codes), to test expiry quickly.
    #[arg(long, value_name = "SECONDS")]
    pub pin_lifetime: Option<f64>,
}

impl EmulatorArgs {
    /// The [`Options`] these flags ask for, or what is wrong with them.
    ///
    /// ```
    /// use clap::Parser;
    /// use plex_pin_emulator::EmulatorArgs;
    ///
    /// #[derive(Parser)]
    /// struct Cli {
    ///     #[command(flatten)]
    ///     emulator: EmulatorArgs,
    /// }
    ///
    /// let cli = Cli::parse_from(["x", "--auto-approve", "2", "--fault", "500*1"]);
    /// let options = cli.emulator.options().unwrap();
    /// assert_eq!(options.auto_approve.unwrap().as_secs(), 2);
    /// assert!(Cli::parse_from(["x", "--auto-approve", "1e19"]).emulator.options().is_err());
    ///
    /// let short = Cli::parse_from(["x", "--pin-lifetime", "1.5"]).emulator.options().unwrap();
    /// assert_eq!(short.strong_lifetime.as_millis(), 1500);
    /// assert_eq!(short.link_lifetime.as_millis(), 1500);
    /// assert!(Cli::parse_from(["x", "--pin-lifetime", "0"]).emulator.options().is_err());
    /// ```
    pub fn options(&self) -> Result<Options, String> {
        let mut options = Options::default().port(self.port).strict(self.strict);
        if let Some(secs) = self.auto_approve {
            options = options.auto_approve(seconds_arg("--auto-approve", secs)?);
        }
        if let Some(secs) = self.pin_lifetime {
            let lifetime = seconds_arg("--pin-lifetime", secs)?;
            if lifetime.is_zero() {
                return Err("--pin-lifetime 0: a pin must live for some time".to_owned());
            }
            options = options.pin_lifetime(lifetime);
        }
        for spec in &self.fault {
            options = options.fault(spec.parse::<FaultRule>()?);
        }
        Ok(options)
    }
}
