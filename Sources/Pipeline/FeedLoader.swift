public import Articles
public import Configuration
import FeedFetching
public import FeedParsing
import Foundation
public import StateStore
import Synchronization

/// One feed read and parsed: its articles, or why it failed.
public struct LoadedFeed: Sendable {
    public var feed: FeedConfiguration
    public var title: String?
    public var format: FeedFormat?
    public var articles: [Article] = []
    /// Data warnings, each tied to the line of the item it concerns when known.
    public var warnings: [FeedWarning] = []
    /// Set when the feed failed: nothing of it may be recorded.
    public var failure: String?
    public var httpStatus: Int?
    public var etag: String?
    public var lastModified: String?
    /// True for an HTTP 304: nothing changed, nothing parsed.
    public var notModified = false
    /// A CSAF ROLIE feed: the documents fetched in this run, each a success or a failure
    /// (`lastError`). The feed succeeds whatever they do: a failed document is its own.
    public var documents: [DocumentState] = []
    /// A CSAF ROLIE feed: how many entries it lists, and their ids (a document no longer
    /// listed is forgotten, its failures with it).
    public var listedDocuments = 0
    public var listedDocumentIDs: [String]?
    /// Documents due beyond `fetch.max_documents`: fetched by the next runs.
    public var documentsLeft = 0

    /// `document ID (URL): reason` for each document that failed in this run.
    public var documentFailures: [(state: DocumentState, line: String)] {
        documents.filter { $0.lastError != nil }.map { ($0, "document \($0.id) (\($0.url)): \($0.lastError!)") }
    }
}

/// What reading one source into a parser gave, besides the parser's own result.
public struct SourceOutcome: Sendable {
    public var httpStatus: Int?
    public var etag: String?
    public var lastModified: String?
    public var contentType: String?
    public var notModified = false
    /// The transfer failed (network, HTTP status, size); the parser's error is separate.
    public var failure: String?
    /// The server is on a loopback or private address: the operator's own network.
    public var fromPrivateAddress = false
}

/// Reads feeds — files, `file://` URLs and HTTP(S) through libcurl — parsing each while
/// it arrives, several at once (SPEC 8).
public struct FeedLoader: Sendable {
    public let catalog: Catalog?
    public let limits: FeedParserLimits
    public let fetch: FetchSettings
    public let userAgent: String
    /// The run's slots for ROLIE documents: `fetch.concurrency` fetches at once, however
    /// many ROLIE feeds are read at the same time (shared by every copy of this loader).
    let documentSlots: DispatchSemaphore

    public init(
        catalog: Catalog?, fetch: FetchSettings = FetchSettings(), limits: FeedParserLimits = FeedParserLimits(),
        userAgent: String = Product.userAgent
    ) {
        self.catalog = catalog
        self.fetch = fetch
        var limits = limits
        limits.maxJSONBytes = fetch.maxSize  // a CSAF document is held whole: SPEC 2.5's bound
        self.limits = limits
        documentSlots = DispatchSemaphore(value: max(fetch.concurrency, 1))
        self.userAgent = userAgent
    }

    /// The local path a feed URL names, or nil for a network URL.
    public static func localPath(_ url: String) -> String? {
        if url.hasPrefix("file://") {
            let rest = url.dropFirst("file://".count)
            let path = rest.hasPrefix("/") ? String(rest) : "/" + rest.drop(while: { $0 != "/" }).dropFirst()
            return path.removingPercentEncoding ?? path
        }
        if url.contains("://") { return nil }
        return url
    }

    /// Loads every feed, `fetch.concurrency` at a time, each with the validators of its
    /// last successful fetch (by name). The result is in the order of `feeds`.
    public func loadAll(
        _ feeds: [FeedConfiguration], validators: [String: FeedState] = [:], progress: (Int) -> Void = { _ in }
    ) -> [LoadedFeed] {
        let shared = SharedProgress(count: feeds.count)
        let finished = DispatchSemaphore(value: 0)
        let workers = min(max(fetch.concurrency, 1), feeds.count)
        let loader = self
        for _ in 0..<workers {
            let thread = Thread {
                // One libcurl handle per thread: connections to one server are reused.
                var fetcher: FeedFetcher?
                while true {
                    let index = shared.next.add(1, ordering: .relaxed).oldValue
                    guard index < feeds.count else { break }
                    let feed = feeds[index]
                    let loaded = loader.load(feed, validators: validators[feed.name], fetcher: &fetcher)
                    shared.results.withLock { $0[index] = loaded }
                    finished.signal()
                }
            }
            // libxml2 and the parser's callbacks need more than a secondary thread's default stack.
            thread.stackSize = 8 << 20
            thread.start()
        }
        for done in 0..<feeds.count {
            finished.wait()
            progress(done + 1)
        }
        return shared.results.withLock { $0.map { $0! } }
    }

    /// Loads one feed on the calling thread.
    public func load(_ feed: FeedConfiguration, validators: FeedState? = nil) -> LoadedFeed {
        var fetcher: FeedFetcher?
        return load(feed, validators: validators, fetcher: &fetcher)
    }

    private func load(_ feed: FeedConfiguration, validators: FeedState?, fetcher: inout FeedFetcher?) -> LoadedFeed {
        var loaded = LoadedFeed(feed: feed)
        var items: [FeedItem] = []
        let parser = FeedParser(limits: limits) { items.append($0) }
        // A ROLIE feed with documents that failed is read again even when unchanged: its
        // entries say where to fetch them.
        var validators = validators
        if validators?.failedDocuments.isEmpty == false {
            validators?.etag = nil
            validators?.lastModified = nil
        }
        let source = read(feed, validators: validators, into: parser, fetcher: &fetcher)
        loaded.httpStatus = source.httpStatus
        loaded.etag = source.etag
        loaded.lastModified = source.lastModified
        if let failure = source.failure {
            loaded.failure = failure
            return loaded
        }
        if source.notModified {
            loaded.notModified = true
            return loaded
        }
        let result = parser.finish()
        loaded.title = result.title
        loaded.format = result.format
        if let error = result.error {
            loaded.failure = FeedLoader.describe(error, contentType: source.contentType)
            return loaded
        }
        let normalizer = ArticleNormalizer(feed: feed.name, defaults: feed.defaults, catalog: catalog)
        var warnings = result.warnings
        var articles = items.map { normalizer.article(from: $0, warnings: &warnings) }
        if result.format == .rolie {
            let known = validators?.documents ?? [:]
            var due = DocumentLoader.due(result.rolieEntries, feedURL: feed.url, known: known)
            if due.count > fetch.maxDocuments {
                // The rest next run: the feed is read then even if it has not changed.
                loaded.documentsLeft = due.count - fetch.maxDocuments
                loaded.etag = nil
                loaded.lastModified = nil
                due.removeLast(due.count - fetch.maxDocuments)
            }
            loaded.listedDocuments = result.rolieEntries.count
            loaded.listedDocumentIDs = result.rolieEntries.map(\.id)
            let documents = DocumentLoader(loader: self)
            for outcome in documents.load(due, feed: feed, known: known, fromPrivateAddress: source.fromPrivateAddress) {
                loaded.documents.append(outcome.state)
                warnings += outcome.warnings
                articles += outcome.articles
            }
        }
        var seen: [String: Int] = [:]
        for article in articles {
            // One key, one article: a repeated key keeps its highest revision.
            if let index = seen[article.key] {
                if article.revision > loaded.articles[index].revision { loaded.articles[index] = article }
                continue
            }
            seen[article.key] = loaded.articles.count
            loaded.articles.append(article)
        }
        loaded.warnings = warnings
        return loaded
    }

    /// Streams the feed's bytes into `parser` (without finishing it). For HTTP(S), the
    /// stored validators make the request conditional — only when they were recorded for
    /// this same URL — and a 304 leaves the parser untouched.
    public func read(_ feed: FeedConfiguration, validators: FeedState?, into parser: FeedParser) -> SourceOutcome {
        var fetcher: FeedFetcher?
        return read(feed, validators: validators, into: parser, fetcher: &fetcher)
    }

    private func read(
        _ feed: FeedConfiguration, validators: FeedState?, into parser: FeedParser, fetcher: inout FeedFetcher?
    ) -> SourceOutcome {
        var outcome = SourceOutcome()
        if let path = FeedLoader.localPath(feed.url) {
            // A file's validator is its identity and times, taken before reading: an
            // unchanged file is not read again, a file changed while read is read next run.
            outcome.etag = FeedLoader.fileValidator(path)
            if let etag = outcome.etag, validators?.url == feed.url, validators?.etag == etag {
                outcome.notModified = true
                return outcome
            }
            if let failure = FeedLoader.readFile(path, into: parser) { outcome.failure = failure }
            return outcome
        }
        if fetcher == nil {
            do {
                fetcher = try FeedFetcher(userAgent: userAgent)
            } catch {
                outcome.failure = error.reason
                return outcome
            }
        }
        let sameURL = validators?.url == feed.url
        let request = FetchRequest(
            url: feed.url, timeout: feed.timeout, caFile: feed.caFile, maxBytes: fetch.maxSize,
            etag: sameURL ? validators?.etag : nil, lastModified: sameURL ? validators?.lastModified : nil)
        let result = fetcher!.fetch(request) { chunk in
            parser.consume(chunk)
            return true
        }
        switch result {
        case .success(let response):
            outcome.httpStatus = response.status
            outcome.etag = response.etag
            outcome.lastModified = response.lastModified
            outcome.contentType = response.contentType
            outcome.notModified = response.notModified
            outcome.fromPrivateAddress = response.fromPrivateAddress
        case .failure(let failure):
            outcome.httpStatus = failure.status
            outcome.failure = failure.reason
        }
        return outcome
    }

    /// `file:SIZE:MTIME:CTIME:DEVICE:INODE` (times in nanoseconds), or nil when the file
    /// cannot be examined (reading it then reports why). The change time cannot be set
    /// back by `touch` or `cp -p`, so a rewritten file always looks changed.
    static func fileValidator(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        let changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        return "file:\(info.st_size):\(modified):\(changed):\(info.st_dev):\(info.st_ino)"
    }

    /// Reads a local file in 256 KiB chunks; returns why it could not be read. A large file
    /// is read on a thread of its own, a few chunks ahead, so that the kernel's copy runs
    /// beside the parsing rather than between its steps.
    static func readFile(_ path: String, into parser: FeedParser) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "cannot open \(path): \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size >= ReadAhead.minimumFileSize {
            return ReadAhead(fd: fd, path: path).run { parser.consume($0) }
        }
        let size = 256 << 10
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, size)
            if count < 0 {
                if errno == EINTR { continue }
                return "cannot read \(path): \(String(cString: strerror(errno)))"
            }
            if count == 0 { return nil }
            parser.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// A parse error as the reason a feed failed; a server sending HTML gets said plainly.
    static func describe(_ error: FeedParseError, contentType: String?) -> String {
        guard let contentType, contentType.lowercased().hasPrefix("text/html") else { return error.description }
        return "not a feed: the server sent an HTML page (Content-Type: \(contentType)); \(error.description)"
    }
}

/// A file read on a thread of its own into a ring of buffers, each handed to the caller's
/// thread in order: the reader fills a slot while the caller parses the one before.
private final class ReadAhead: @unchecked Sendable {
    static let minimumFileSize = off_t(8 << 20)
    static let slots = 4
    static let chunkSize = 256 << 10
    // Each slot is written by the reader between `free` and `filled`, read by the caller
    // between `filled` and `free`: the semaphores order every access.
    // (Raw memory, not arrays: an array written on one thread while read on the other
    // would race on its buffer even when the two touch different slots.)
    private let buffers = UnsafeMutableRawBufferPointer.allocate(byteCount: slots * chunkSize, alignment: 16)
    private let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: slots)
    private var failure: String?
    // Made at zero and signalled: libdispatch refuses to free a semaphore left below
    // the value it was made with.
    private let free = DispatchSemaphore(value: 0)
    private let filled = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let fd: Int32
    private let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        counts.initialize(repeating: 0)
        for _ in 0..<Self.slots { free.signal() }
    }

    deinit {
        buffers.deallocate()
        counts.deallocate()
    }

    /// Hands every chunk to `consume` in order; returns why the file could not be read.
    func run(_ consume: (UnsafeRawBufferPointer) -> Void) -> String? {
        Thread.detachNewThread { [self] in
            read()
            finished.signal()
        }
        defer { finished.wait() }  // the reader is done with the descriptor and the buffers
        var slot = 0
        while true {
            filled.wait()
            let count = counts[slot]
            if count <= 0 { return failure }
            consume(UnsafeRawBufferPointer(rebasing: buffers[(slot * Self.chunkSize)..<(slot * Self.chunkSize + count)]))
            free.signal()
            slot = (slot + 1) % Self.slots
        }
    }

    private func read() {
        var slot = 0
        while true {
            free.wait()
            let start = buffers.baseAddress! + slot * Self.chunkSize
            var count: Int
            repeat { count = Glibc.read(fd, start, Self.chunkSize) } while count < 0 && errno == EINTR
            if count < 0 { failure = "cannot read \(path): \(String(cString: strerror(errno)))" }
            counts[slot] = count
            filled.signal()
            if count <= 0 { return }
            slot = (slot + 1) % Self.slots
        }
    }
}

/// The work list and results of `loadAll`, shared by its threads.
private final class SharedProgress: Sendable {
    let next = Atomic<Int>(0)
    let results: Locked<[LoadedFeed?]>

    init(count: Int) { results = Locked(Array(repeating: nil, count: count)) }
}

/// The product's name and version, as it introduces itself to servers.
public enum Product {
    public static let version = "0.1.0"
    public static let userAgent = "critfix/\(version)"
}
