//! `scripted-browser`: the person who clicks Allow in the connect tests
//! (authdeck_test_support::scripted_browser has the what and why).

fn main() -> std::process::ExitCode {
    authdeck_test_support::scripted_browser::run()
}
