//! The README's example program, run: examples/login.rs signs in against its embedded
//! emulator (which approves after 1 s) and gets a token that works.

#[path = "../examples/login.rs"]
#[allow(dead_code)] // its `main`: the test calls what main calls
mod example;

#[tokio::test]
async fn the_example_signs_in_against_the_emulator() {
    let token = example::sign_in(None).await.unwrap();
    assert!(!token.expose_secret().is_empty());
}
