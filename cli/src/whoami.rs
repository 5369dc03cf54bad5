//! `plex-pin whoami`: checks a token against the account it belongs to.

use plex_pin::Call;

use crate::args::{self, WhoamiArgs};
use crate::connect::connect;
use crate::exit::Failure;
use crate::output::Stdout;
use crate::prompt;
use crate::terminal::safe;

pub fn whoami(args: WhoamiArgs) -> Result<(), Failure> {
    let token = args::token(args.token)?;
    let mut stdout = Stdout::open()?;
    let (client, _emulator) = connect(&args.identity, &args.server)?;
    let user = client
        .call(Call::user(client.config(), &token))
        .map_err(Failure::from_token_check)?;
    if args.json {
        return stdout.line(&prompt::user_json(&user).to_string());
    }
    // Every field came from the server: escaped before it reaches the terminal.
    stdout.line(&safe(user.display_name().unwrap_or("(no name)")))?;
    for (label, value) in [
        ("username", &user.username),
        ("email", &user.email),
        ("uuid", &user.uuid),
    ] {
        if let Some(value) = value {
            stdout.line(&format!("{label}: {}", safe(value)))?;
        }
    }
    stdout.line(&format!("id: {}", user.id))
}
