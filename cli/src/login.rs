//! `plex-pin login`: the sign-in on a thread of its own, and this thread waiting for what
//! happens to it: the token, the account, or a signal.
//!
//! A signal cancels the login through the core's `Cancel`: at once during a wait, and a
//! request in flight is cut short too (plex-pin-ureq shuts its socket down). Whatever a
//! transport cannot cut short (a name lookup) is told after [`TELL_AFTER`], and a second
//! signal quits without it. Once plex.tv has
//! issued the token, it is printed whatever interrupts the rest: the account lookup is then
//! abandoned, not waited for.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use plex_pin::drive::Cancel;
use plex_pin::{Call, LoginOptions, PinLogin, PinOptions, Token, TransportErrorKind, User};
use plex_pin_ureq::{Client, Error};

use crate::args::LoginArgs;
use crate::connect::{connect_to, positive_seconds};
use crate::exit::Failure;
use crate::output::Stdout;
use crate::prompt::{self, Prompt};
use crate::signals::{self, Signal};
use crate::stderr::say;
use crate::terminal::safe;
use crate::{drive, store};

/// After a signal, how long the login may take to end before the person is told it waits
/// for a request in flight.
const TELL_AFTER: Duration = Duration::from_secs(1);

pub fn login(args: LoginArgs) -> Result<(), Failure> {
    // Before plex.tv is asked for anything: a token it issues must have somewhere to go.
    let mut stdout = Stdout::for_token()?;
    let default_base = if args.jwt {
        plex_pin::CLIENTS_PLEX_TV
    } else {
        plex_pin::PLEX_TV
    };
    let (client, _emulator) = connect_to(&args.identity, &args.server, default_base)?;
    let options = options(&args)?;
    let login = if args.jwt {
        let key = store::device_key()?;
        PinLogin::with_device_key(client.config(), options, key)
    } else {
        PinLogin::new(client.config(), options)
    };

    let prompt = Prompt::new(!args.no_qr);
    let cancel = Cancel::new();
    let (news, inbox) = mpsc::channel();
    {
        let (cancel, news) = (cancel.clone(), news.clone());
        signals::listen(move |signal| {
            // In this order: the login's end, which the cancel brings, comes after this news.
            let _ = news.send(News::Signal(signal));
            cancel.cancel();
        })?;
    }
    {
        let prompt = prompt.clone();
        std::thread::Builder::new()
            .name("login".to_owned())
            .spawn(move || sign_in(&client, login, prompt, &cancel, &news))
            .map_err(|e| Failure::general(format!("cannot start the login: {e}")))?;
    }
    let issued = wait_for_token(&inbox);
    prompt.finish();
    let issued = issued?;

    // The token exists: from here on it is printed, whatever happens to the account.
    let (user, interrupted) = match wait_for_account(&inbox, issued.interrupted) {
        Account::Read(user) => {
            say!(
                "Signed in as {}",
                safe(user.display_name().unwrap_or("(no name)"))
            );
            (prompt::user_json(&user), None)
        }
        Account::Failed(why) => {
            say!(
                "plex-pin: warning: signed in, but the account could not be read: {}",
                safe(&why)
            );
            (serde_json::Value::Null, None)
        }
        Account::Interrupted(signal) => (serde_json::Value::Null, Some(signal)),
    };
    let secret = issued.token.expose_secret();
    let printed = if args.json {
        stdout.line(&serde_json::json!({"token": secret, "user": user}).to_string())
    } else {
        stdout.line(secret)
    };
    printed.map_err(Failure::token_lost)?;
    match interrupted {
        None => Ok(()),
        Some(signal) => Err(Failure::with_code(
            signal.exit_code(),
            format!(
                "interrupted ({signal}) before the account was read; \
                 the token was issued and is printed"
            ),
        )),
    }
}

/// The login's options from the command line.
fn options(args: &LoginArgs) -> Result<LoginOptions, Failure> {
    let mut options = LoginOptions::default().with_pin(if args.link {
        PinOptions::link()
    } else {
        PinOptions::strong()
    });
    let interval = positive_seconds("--poll-interval", args.poll_interval)?;
    if interval < plex_pin::limits::MIN_POLL_INTERVAL {
        return Err(Failure::usage(format!(
            "--poll-interval {}: at least {} s (plex.tv asks for 1)",
            args.poll_interval,
            plex_pin::limits::MIN_POLL_INTERVAL.as_secs_f64()
        )));
    }
    options = options.with_poll_interval(interval);
    if let Some(secs) = args.timeout {
        options = options.with_timeout(positive_seconds("--timeout", secs)?);
    }
    Ok(options)
}

/// What the login thread and the signal thread tell the waiting one.
enum News {
    Signal(Signal),
    /// The login's end.
    SignedIn(Result<Token, Error>),
    /// The account the token belongs to, once the login was not cancelled.
    Account(Result<User, Error>),
    /// The login thread ended: after its news, or without (a panic).
    Ended,
}

/// Sends [`News::Ended`] when the login thread ends, however it ends, so that the waiting
/// thread never waits for news that cannot come.
struct Farewell<'a>(&'a Sender<News>);

impl Drop for Farewell<'_> {
    fn drop(&mut self) {
        let _ = self.0.send(News::Ended);
    }
}

/// The login thread: the sign-in, then the account lookup unless cancelled meanwhile.
fn sign_in(
    client: &Client,
    login: PinLogin,
    mut prompt: Prompt,
    cancel: &Cancel,
    news: &Sender<News>,
) {
    let _farewell = Farewell(news);
    let result = drive::login(client, login, &mut prompt, cancel);
    prompt.finish();
    let token = result.as_ref().ok().cloned();
    let _ = news.send(News::SignedIn(result));
    if let Some(token) = token.filter(|_| !cancel.is_cancelled()) {
        let _ = news.send(News::Account(
            client.call(Call::user(client.config(), &token)),
        ));
    }
}

/// The issued token, and the signal that came before it, if one did.
struct Issued {
    token: Token,
    interrupted: Option<Signal>,
}

/// Waits for the login's end. After a signal, the login ends at once unless a request is in
/// flight: the person is told so after [`TELL_AFTER`], and a second signal gives up on it.
fn wait_for_token(inbox: &Receiver<News>) -> Result<Issued, Failure> {
    let mut interrupted: Option<Signal> = None;
    let mut told = false;
    loop {
        let news = match interrupted {
            Some(signal) if !told => match inbox.recv_timeout(TELL_AFTER) {
                Err(RecvTimeoutError::Timeout) => {
                    told = true;
                    say!(
                        "plex-pin: {signal}: cancelling once the request in flight ends \
                         (interrupt again to quit now)"
                    );
                    continue;
                }
                news => news.ok(),
            },
            _ => inbox.recv().ok(),
        };
        match news {
            Some(News::Signal(signal)) => match interrupted {
                None => interrupted = Some(signal),
                Some(_) => {
                    return Err(Failure::with_code(
                        signal.exit_code(),
                        format!("cancelled ({signal}) during a request; no token was received"),
                    ))
                }
            },
            Some(News::SignedIn(Ok(token))) => return Ok(Issued { token, interrupted }),
            Some(News::SignedIn(Err(error))) => {
                return Err(match interrupted {
                    Some(signal) if error.kind() == Some(TransportErrorKind::Cancelled) => {
                        Failure::with_code(
                            signal.exit_code(),
                            format!("cancelled ({signal}); no token was received"),
                        )
                    }
                    _ => Failure::from_transport(error),
                })
            }
            // Sent only after the login's end.
            Some(News::Account(_)) => {}
            Some(News::Ended) | None => {
                return Err(Failure::general(
                    "the login stopped without an answer".to_owned(),
                ))
            }
        }
    }
}

/// What became of the account lookup.
enum Account {
    Read(User),
    /// Why it could not be read.
    Failed(String),
    /// A signal came first: the lookup is abandoned.
    Interrupted(Signal),
}

/// Waits for the account, or the first signal (`already`, if one came with the token).
fn wait_for_account(inbox: &Receiver<News>, already: Option<Signal>) -> Account {
    if let Some(signal) = already {
        return Account::Interrupted(signal);
    }
    loop {
        match inbox.recv() {
            Ok(News::Account(Ok(user))) => return Account::Read(user),
            Ok(News::Account(Err(error))) => return Account::Failed(error.to_string()),
            Ok(News::Signal(signal)) => return Account::Interrupted(signal),
            Ok(News::SignedIn(_)) => {}
            Ok(News::Ended) | Err(_) => {
                return Account::Failed("the lookup stopped without an answer".to_owned())
            }
        }
    }
}
