//! The dealchat server: load settings, build, serve until SIGTERM.

/// mimalloc rather than the system's malloc: the server makes and frees many small objects per
/// request, which glibc's allocator served slowly (see the README's fan-out benchmark).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dealchat::server::platform::telemetry::init();
    let settings = match dealchat::server::platform::config::Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dealchat: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let app = match dealchat::server::startup::Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("dealchat: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match app
        .run_until(dealchat::server::startup::shutdown_signal())
        .await
    {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dealchat: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
