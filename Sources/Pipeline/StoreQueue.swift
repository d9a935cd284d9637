import Foundation
import StateStore

/// The state store of an email dispatch, worked on a serial queue of its own: due batches
/// are read ahead, and outcomes recorded behind the sending thread, which then waits for
/// SQLite only when it has nothing left to send. Jobs run one at a time, in the order they
/// were queued, so the store is never used by two threads at once.
final class StoreQueue: @unchecked Sendable {
    // `store` is used only by jobs on `queue`; `failure` only under `lock`.
    private let store: any StateStore
    private let queue = DispatchQueue(label: "critfix.store")
    private let lock = NSLock()
    private var failure: StateStoreError?
    /// Recordings queued and not yet done. Bounded, so that a crash leaves at most this
    /// many flushed chunks unmarked (and sent again by the next run), besides the one
    /// being written.
    private let recordSlots: DispatchSemaphore

    init(store: any StateStore, queuedRecords: Int = 1) {
        self.store = store
        recordSlots = DispatchSemaphore(value: queuedRecords)
    }

    /// Queues outcomes to be recorded in one transaction; with `wait`, returns once they
    /// are. Throws the failure of an earlier recording: after one, nothing more is recorded.
    func record(_ outcomes: [DeliveryOutcome], wait: Bool = false) throws(StateStoreError) {
        try checkFailure()
        if wait {
            // On this thread, once the queue is idle: no switch of threads per message.
            let failed: StateStoreError? = queue.sync {
                do throws(StateStoreError) {
                    try store.record(outcomes)
                    return nil
                } catch {
                    return error
                }
            }
            if let failed {
                lock.withLock { failure = failed }
                throw failed
            }
            return
        }
        recordSlots.wait()
        queue.async { [self] in
            defer { recordSlots.signal() }
            guard currentFailure == nil else { return }
            do throws(StateStoreError) {
                try store.record(outcomes)
            } catch {
                lock.withLock { failure = error }
            }
        }
    }

    /// Runs `work` after every job queued before it; the hand-off gives its result.
    func read<T>(_ work: @escaping @Sendable (any StateStore) throws(StateStoreError) -> T)
        -> Handoff<Result<T, StateStoreError>>
    {
        let result = Handoff<Result<T, StateStoreError>>()
        queue.async { [self] in
            result.finish(Result { () throws(StateStoreError) -> T in try work(store) })
        }
        return result
    }

    /// Waits until every queued job is done.
    func drain() {
        queue.sync {}
    }

    /// Waits until every queued job is done; throws the first recording's failure.
    func finish() throws(StateStoreError) {
        drain()
        try checkFailure()
    }

    private var currentFailure: StateStoreError? { lock.withLock { failure } }

    private func checkFailure() throws(StateStoreError) {
        if let failure = currentFailure { throw failure }
    }
}
