//! A sequential system's thread ends with the system, even without `shutdown`.
//! (Alone in its own test binary: it counts the process's threads.)

use std::time::Duration;

use thespian::ActorSystem;

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn dropping_the_last_handle_ends_the_sequential_thread() {
    let before = threads();
    let system = ActorSystem::builder().sequential().build();
    let copy = system.clone();
    assert_eq!(threads(), before + 1);
    drop(system);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(threads(), before + 1, "a handle is still alive");
    drop(copy);
    for _ in 0..200 {
        if threads() == before {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(threads(), before);
}
