import Articles
import FeedParsing
import Foundation

/// The second stage of `parse`: items handed over in batches from the parsing thread as
/// collected are made feed items, normalised and written, in order, on a thread of its own.
final class ArticleWriter: @unchecked Sendable {
    private let normalizer: ArticleNormalizer
    private let output: BufferedOutput
    private let format: Commands.OutputFormat
    /// Owned by the parsing thread until handed over.
    private var batch: [PendingItem] = []
    private let batchSize = 256
    /// Handed-over batches; at most `capacity` wait, so memory stays flat.
    private let queue = NSCondition()
    private var waiting: [[PendingItem]] = []
    private var closed = false
    private let capacity = 4
    private let done = DispatchSemaphore(value: 0)
    // Owned by the writing thread; read by `finish` after `done`.
    private var count = 0
    private var warnings: [FeedWarning] = []

    init(normalizer: ArticleNormalizer, output: BufferedOutput, format: Commands.OutputFormat) {
        self.normalizer = normalizer
        self.output = output
        self.format = format
        batch.reserveCapacity(batchSize)
        let thread = Thread { [self] in
            while let items = take() { write(items) }
            done.signal()
        }
        thread.start()
    }

    func add(_ item: PendingItem) {
        batch.append(item)
        if batch.count == batchSize { handOver() }
    }

    /// Hands over what is left, waits for the writing thread, and returns the number of
    /// articles written and the warnings about their fields and normalisation.
    func finish() -> (Int, [FeedWarning]) {
        if !batch.isEmpty { handOver() }
        queue.lock()
        closed = true
        queue.broadcast()
        queue.unlock()
        done.wait()
        return (count, warnings)
    }

    private func handOver() {
        queue.lock()
        while waiting.count >= capacity { queue.wait() }
        waiting.append(batch)
        queue.broadcast()
        queue.unlock()
        batch = []
        batch.reserveCapacity(batchSize)
    }

    private func take() -> [PendingItem]? {
        queue.lock()
        defer { queue.unlock() }
        while waiting.isEmpty && !closed { queue.wait() }
        guard !waiting.isEmpty else { return nil }
        queue.broadcast()
        return waiting.removeFirst()
    }

    private func write(_ items: [PendingItem]) {
        for pending in items {
            let item = pending.item(warnings: &warnings)
            Self.write(normalizer.article(from: item, warnings: &warnings), number: count, format: format, to: output)
            count += 1
        }
    }

    /// One article of `parse`'s output; `number` counts from 0 (the first has no comma).
    static func write(_ article: Article, number: Int, format: Commands.OutputFormat, to output: BufferedOutput) {
        switch format {
        case .json:
            output.write(number == 0 ? "\n  " : ",\n  ")
            output.writeArticle(article)
        case .text:
            output.write(Commands.text(article))
        }
    }
}
