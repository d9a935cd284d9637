import Foundation
import StateStore

/// The state store of an email dispatch: due batches are claimed ahead on a queue of
/// their own, and outcomes recorded on another — as the sending thread waits, or behind
/// it — so that a recording never waits for a claim, nor a claim for the disk. The store
/// allows exactly that overlap (`StateStore`): claims run one at a time on `claims`,
/// recordings one at a time on `records`.
final class StoreQueue: @unchecked Sendable {
    // `store` is used only by jobs on `records` and `claims`, the one overlap the store
    // allows; `failure` only under `lock`.
    private let store: any StateStore
    private let records = DispatchQueue(label: "critfix.store.records")
    private let claims = DispatchQueue(label: "critfix.store.claims")
    private let lock = NSLock()
    private var failure: StateStoreError?
    /// Recordings queued behind the sending and not yet done: at most one, so that a
    /// crash leaves at most that one and the chunk being written unrecorded.
    private let recordSlot = DispatchSemaphore(value: 1)

    init(store: any StateStore) {
        self.store = store
    }

    /// Records outcomes in one transaction: with `wait`, before returning; otherwise
    /// behind the sending, once the recording queued before is done. Throws the failure
    /// of an earlier recording: after one, nothing more is recorded.
    func record(_ outcomes: [DeliveryOutcome], wait: Bool) throws(StateStoreError) {
        try checkFailure()
        guard wait else {
            recordSlot.wait()
            records.async { [self] in
                defer { recordSlot.signal() }
                guard lock.withLock({ failure == nil }) else { return }
                do throws(StateStoreError) {
                    try store.record(outcomes)
                } catch {
                    lock.withLock { failure = error }
                }
            }
            return
        }
        let failed: StateStoreError? = records.sync {
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
    }

    /// Runs `work`, a claim, after the claims queued before it, beside the recordings;
    /// the hand-off gives its result.
    func claim<T>(_ work: @escaping @Sendable (any StateStore) throws(StateStoreError) -> T)
        -> Handoff<Result<T, StateStoreError>>
    {
        let result = Handoff<Result<T, StateStoreError>>()
        claims.async { [self] in
            result.finish(Result { () throws(StateStoreError) -> T in try work(store) })
        }
        return result
    }

    /// Waits until every queued job is done.
    func drain() {
        claims.sync {}
        records.sync {}
    }

    /// Waits until every queued job is done; throws the first recording's failure.
    func finish() throws(StateStoreError) {
        drain()
        try checkFailure()
    }

    private func checkFailure() throws(StateStoreError) {
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}
