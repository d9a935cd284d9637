import Articles
import Configuration
import FeedFetching
import FeedParsing
import Foundation
import StateStore
import Synchronization

/// The documents of a CSAF ROLIE feed (SPEC 2.6): each entry names a CSAF document. Those
/// new or changed since the last run (by the entry's `updated`), and those that failed
/// last time, are fetched — conditionally, several at once — checked against their
/// `.sha256` / `.sha512` hash file, and parsed; the others cost nothing. A document that
/// fails is reported with its reason and fetched again next run; the others go on.
struct DocumentLoader: Sendable {
    let loader: FeedLoader

    /// One document's outcome: its articles (none for a 304), or why it failed.
    struct Outcome: Sendable {
        var state: DocumentState
        var articles: [Article] = []
        var warnings: [FeedWarning] = []
    }

    /// The entries to fetch: new, changed (`updated` or URL), or failed last time. The
    /// first entry of an id counts; the URL is resolved against the feed's.
    static func due(_ entries: [ROLIEEntry], feedURL: String, known: [String: DocumentState]) -> [(ROLIEEntry, String)] {
        var seen: Set<String> = []
        var due: [(ROLIEEntry, String)] = []
        for entry in entries where seen.insert(entry.id).inserted {
            let url = resolve(entry.source, against: feedURL)
            if let state = known[entry.id], state.failuresInARow == 0, state.updated == entry.updated, state.url == url {
                continue
            }
            due.append((entry, url))
        }
        return due
    }

    static func isHTTP(_ url: String) -> Bool {
        let lower = url.lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    /// `reference` resolved against the feed's URL or path (RFC 3986), as a URL or a path.
    static func resolve(_ reference: String, against feedURL: String) -> String {
        if reference.contains("://") { return reference }
        if let path = FeedLoader.localPath(feedURL) {
            if reference.hasPrefix("/") { return reference }
            let directory = (path as NSString).deletingLastPathComponent
            return ((directory.isEmpty ? "." : directory) as NSString).appendingPathComponent(reference)
        }
        guard let base = URL(string: feedURL), let resolved = URL(string: reference, relativeTo: base) else {
            return reference
        }
        return resolved.absoluteString
    }

    /// Fetches and parses `due`, `fetch.concurrency` at a time; outcomes in the order of `due`.
    func load(
        _ due: [(ROLIEEntry, String)], feed: FeedConfiguration, known: [String: DocumentState]
    ) -> [Outcome] {
        guard !due.isEmpty else { return [] }
        let next = Atomic<Int>(0)
        let results = Mutex<[Outcome?]>(Array(repeating: nil, count: due.count))
        let finished = DispatchSemaphore(value: 0)
        let workers = min(max(loader.fetch.concurrency, 1), due.count)
        let this = self
        for _ in 0..<workers {
            let thread = Thread {
                var fetcher: FeedFetcher?
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < due.count else { break }
                    let (entry, url) = due[index]
                    let outcome = this.load(entry, url: url, feed: feed, known: known[entry.id], fetcher: &fetcher)
                    results.withLock { $0[index] = outcome }
                }
                finished.signal()
            }
            thread.stackSize = 4 << 20  // the CSAF tree is read recursively (depth bounded by the JSON parser)
            thread.start()
        }
        for _ in 0..<workers { finished.wait() }
        return results.withLock { $0.map { $0! } }
    }

    private func load(
        _ entry: ROLIEEntry, url: String, feed: FeedConfiguration, known: DocumentState?, fetcher: inout FeedFetcher?
    ) -> Outcome {
        var outcome = Outcome(state: DocumentState(id: entry.id, url: url, updated: entry.updated))
        func fail(_ reason: String) -> Outcome {
            outcome.articles = []
            outcome.state.lastError = reason
            outcome.state.failuresInARow = (known?.failuresInARow ?? 0) + 1
            return outcome
        }
        var items: [FeedItem] = []
        let parser = FeedParser(limits: loader.limits) { items.append($0) }
        let digest = entry.hash.map { StreamingDigest(StreamingDigest.Algorithm(hashFile: $0)) }
        // Conditional only when the last fetch of this same URL succeeded.
        let previous = known.flatMap { $0.url == url && $0.failuresInARow == 0 ? $0 : nil }
        switch read(url, feed: feed, etag: previous?.etag, lastModified: previous?.lastModified, fetcher: &fetcher, consume: {
            parser.consume($0)
            digest?.update($0)
        }) {
        case .failure(let reason):
            _ = parser.finish()
            return fail(reason)
        case .notModified:
            _ = parser.finish()
            return outcome
        case .success(let etag, let lastModified):
            outcome.state.etag = etag
            outcome.state.lastModified = lastModified
        }
        let result = parser.finish()
        if let error = result.error { return fail(error.description) }
        guard result.format == .csaf else {
            return fail("not a CSAF document (read as \(result.format?.rawValue ?? "nothing"))")
        }
        if let hashFile = entry.hash, let digest {
            // Like `src`, the entry's links are relative to the feed.
            let hashURL = Self.resolve(hashFile, against: feed.url)
            switch expectedDigest(hashURL, feed: feed, fetcher: &fetcher) {
            case .failure(let error):
                return fail("hash file: \(error.reason)")
            case .success(let expected):
                let actual = digest.finish()
                guard expected == actual else {
                    return fail(
                        "\(digest.algorithm.rawValue.uppercased()) mismatch: the document hashes to \(actual), \(hashURL) says \(expected)")
                }
            }
        }
        let normalizer = ArticleNormalizer(feed: feed.name, defaults: feed.defaults, catalog: loader.catalog)
        var warnings = result.warnings
        outcome.articles = items.map { normalizer.article(from: $0, warnings: &warnings) }
        outcome.warnings = warnings.map { FeedWarning(line: nil, "document \(entry.id): \($0.description)") }
        return outcome
    }

    private enum Read {
        case success(etag: String?, lastModified: String?)
        case notModified
        case failure(String)
    }

    /// Streams a document (URL or path) into `consume`.
    private func read(
        _ url: String, feed: FeedConfiguration, etag: String?, lastModified: String?, fetcher: inout FeedFetcher?,
        consume: (UnsafeRawBufferPointer) -> Void
    ) -> Read {
        // A feed is untrusted: one served over HTTP(S) never makes critfix read a local file.
        if FeedLoader.localPath(feed.url) == nil, !Self.isHTTP(url) {
            return .failure("refused: a document of a feed fetched over HTTP(S) must be an http(s) URL, not \(url)")
        }
        if let path = FeedLoader.localPath(url) {
            let validator = FeedLoader.fileValidator(path)
            if let validator, validator == etag { return .notModified }
            guard let data = FileManager.default.contents(atPath: path) else {
                return .failure("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            guard data.count <= loader.fetch.maxSize else {
                return .failure("larger than \(loader.fetch.maxSize) bytes (fetch.max_size)")
            }
            data.withUnsafeBytes { consume($0) }
            return .success(etag: validator, lastModified: nil)
        }
        if fetcher == nil {
            do {
                fetcher = try FeedFetcher(userAgent: loader.userAgent)
            } catch {
                return .failure(error.reason)
            }
        }
        let request = FetchRequest(
            url: url, timeout: feed.timeout, caFile: feed.caFile, maxBytes: loader.fetch.maxSize, etag: etag,
            lastModified: lastModified)
        switch fetcher!.fetch(request, consume: { consume($0); return true }) {
        case .success(let response):
            return response.notModified ? .notModified : .success(etag: response.etag, lastModified: response.lastModified)
        case .failure(let failure):
            return .failure(failure.reason)
        }
    }

    /// The hex digest a hash file gives: its first word (`sha256sum` writes "HEX  NAME").
    private func expectedDigest(_ url: String, feed: FeedConfiguration, fetcher: inout FeedFetcher?) -> Result<String, HashFileError> {
        var bytes: [UInt8] = []
        switch read(url, feed: feed, etag: nil, lastModified: nil, fetcher: &fetcher, consume: { chunk in
            if bytes.count < 4096 { bytes.append(contentsOf: chunk.prefix(4096 - bytes.count)) }
        }) {
        case .failure(let reason): return .failure(HashFileError(reason))
        case .notModified: return .failure(HashFileError("unexpected 304"))
        case .success: break
        }
        let word = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
        guard !word.isEmpty, word.allSatisfy(\.isHexDigit) else {
            return .failure(HashFileError("it holds no hexadecimal digest"))
        }
        return .success(word.lowercased())
    }

    private struct HashFileError: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}

