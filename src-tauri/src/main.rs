fn main() {
    interlog_app::run();
}
