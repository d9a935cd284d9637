import Foundation

/// A value made on another thread: `wait` returns it once `finish` has given it.
final class Handoff<Value>: @unchecked Sendable {
    // Written once by the producing thread before `done` is signalled, read only after.
    private var value: Value?
    private let done = DispatchSemaphore(value: 0)

    func finish(_ value: Value) {
        self.value = value
        done.signal()
    }

    /// Waits for the value; call once.
    func wait() -> Value {
        done.wait()
        return value!
    }
}
