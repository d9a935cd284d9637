public import Articles
internal import CLibXML2
import Foundation

/// Bounds applied to every document: feeds are untrusted input (SPEC 8).
public struct FeedParserLimits: Sendable {
    /// Deepest element nesting accepted; deeper documents stop with an error. libxml2's own
    /// limit (256 without `XML_PARSE_HUGE`, which this parser never sets) applies as well.
    public var maxDepth: Int
    /// Per collected text field; longer text is truncated with a warning.
    public var maxTextBytes: Int
    /// Bytes of input accepted; more is an error.
    public var maxDocumentBytes: Int
    /// Bytes of a JSON document (CSAF, ROLIE) accepted: it is read whole into memory, so
    /// its bound is the fetch size limit (SPEC 2.5), not the streaming parser's.
    public var maxJSONBytes: Int

    public init(
        maxDepth: Int = 256, maxTextBytes: Int = 1 << 20, maxDocumentBytes: Int = 160 << 20, maxJSONBytes: Int = 20 << 20
    ) {
        self.maxDepth = maxDepth
        self.maxTextBytes = maxTextBytes
        self.maxDocumentBytes = maxDocumentBytes
        self.maxJSONBytes = maxJSONBytes
    }
}

/// Why a document could not be read to its end.
public struct FeedParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where, when known.
    public var line: Int?
    /// e.g. `not well-formed: Opening and ending tag mismatch: item line 5 and channel`.
    public var message: String

    public init(line: Int?, message: String) {
        self.line = line
        self.message = message
    }

    /// `line 12: …`, or the message alone when the line is unknown.
    public var description: String {
        if let line { "line \(line): \(message)" } else { message }
    }
}

/// What a parse produced besides the items handed to `onItem`.
public struct FeedParseResult: Sendable {
    /// The channel/feed title, or the CVRF `DocumentTitle`.
    public var title: String?
    /// Nil when the root element was never seen.
    public var format: FeedFormat?
    /// Non-fatal problems: unparseable dates, bad severity values, truncated text …
    public var warnings: [FeedWarning]
    /// Fatal: not well-formed, not a feed, limit exceeded, I/O. Items already handed out stay valid.
    public var error: FeedParseError?
    /// Items handed over (to `onItem`, `onPendingItem` or an observer).
    public var itemCount: Int
    /// Warnings beyond ``FeedParser/maxWarnings``, counted in the last of `warnings`.
    public var suppressedWarnings = 0
    /// A CSAF ROLIE feed's documents (format `.rolie`): the loader fetches them.
    public var rolieEntries: [ROLIEEntry] = []

    public init(
        title: String? = nil, format: FeedFormat? = nil, warnings: [FeedWarning] = [], error: FeedParseError? = nil,
        itemCount: Int = 0
    ) {
        self.title = title
        self.format = format
        self.warnings = warnings
        self.error = error
        self.itemCount = itemCount
    }
}

/// A streaming, hardened parser for RSS 2.0, RSS 1.0 (RDF), Atom 1.0 and CVRF 1.1/1.2,
/// built on libxml2's SAX2 push parser.
///
/// Feed it chunks as they arrive with ``consume(_:)``, then call ``finish()``. Each item is
/// handed to `onItem` when its element closes, so memory stays flat however long the feed.
///
/// Hardening (SPEC 8): no DTD is loaded, no external entity is resolved (a process-wide
/// entity loader refuses every request and the SAX `resolveEntity`/`externalSubset`
/// handlers do nothing), entity declarations are ignored so nothing but the five predefined
/// entities ever expands (a billion-laughs document fails with "Entity 'lol9' not defined"),
/// `XML_PARSE_NONET` is set, and nesting depth, collected text and document size are bounded.
/// libxml2's messages become ``FeedParseError``/warnings; nothing is printed.
///
/// A `ParseObserver` (``init(limits:observer:)``, for the conformance tests' detail reader)
/// sees the same SAX events; with one, the parser also reads on past well-formedness errors
/// (libxml2's recovery), to report what a lenient reader would still find; the first such
/// error stays in ``FeedParseResult/error``. The hardening above holds either way. Without
/// one, the parser runs none of that.
///
/// One instance parses one document on one thread.
public final class FeedParser {
    package let limits: FeedParserLimits
    let onItem: (FeedItem) -> Void
    /// The second reader of the same events; nil for every parser critfix itself makes.
    let observer: (any ParseObserver)?

    // The stored state below is only ever touched from this parser's own SAX callbacks and
    // methods, on one thread, and never through overlapping accesses (the text buffer is a
    // raw pointer, never borrowed while it is written). Dynamic exclusivity checks on every
    // callback cost about a fifth of the parse time, hence `@exclusivity(unchecked)`.

    @exclusivity(unchecked) var context: xmlParserCtxtPtr?
    /// Input held back until 4 bytes (and an XML declaration) are there, so libxml2 can detect
    /// the encoding.
    @exclusivity(unchecked) var pending: [UInt8] = []
    /// A JSON document (CSAF, ROLIE), collected whole: it is parsed at ``finish()``.
    @exclusivity(unchecked) var json: [UInt8]?
    @exclusivity(unchecked) var consumed = 0
    @exclusivity(unchecked) package internal(set) var result = FeedParseResult()
    @exclusivity(unchecked) var finalResult: FeedParseResult?
    @exclusivity(unchecked) package internal(set) var failed = false
    @exclusivity(unchecked) var suppressedWarnings = 0
    /// A message libxml2 sent to its generic (unstructured) error channel.
    @exclusivity(unchecked) var genericError: String?
    /// With an observer, root element not a feed: the rest is only checked for well-formedness.
    @exclusivity(unchecked) var ignoringContent = false
    /// The XML declaration names a single-byte encoding: the input is watched for UTF-8.
    @exclusivity(unchecked) var mislabel: MislabelCheck?

    // Element state.
    @exclusivity(unchecked) package internal(set) var depth = 0
    /// One code per open element (`FeedElement` or `CVRFElement` raw values).
    @exclusivity(unchecked) var stack: [UInt8] = []

    // Text collection: only inside a wanted field, into one reusable buffer.
    @exclusivity(unchecked) var collecting = false
    @exclusivity(unchecked) var textBase: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) var textCount = 0
    @exclusivity(unchecked) var textCapacity = 4096
    @exclusivity(unchecked) var textTruncated = false
    @exclusivity(unchecked) var fieldDepth = 0
    @exclusivity(unchecked) var fieldCode: UInt8 = 0
    @exclusivity(unchecked) var fieldLine = 0
    @exclusivity(unchecked) var fieldMarkup = Markup.text
    @exclusivity(unchecked) var collectingFeedTitle = false

    // RSS / Atom.
    @exclusivity(unchecked) package internal(set) var atomWithoutNamespace = false
    @exclusivity(unchecked) package internal(set) var itemDepth = 0
    @exclusivity(unchecked) var item = ItemState(line: 0)
    @exclusivity(unchecked) var lastItemBytes = 0

    // CVRF.
    @exclusivity(unchecked) var cvrf = CVRFDraft()

    /// Warnings kept per document; more are counted, not listed.
    public static let maxWarnings = 1000
    /// Set by ``init(limits:onPendingItem:)``: items are handed over as collected.
    let onPendingItem: ((PendingItem) -> Void)?

    public init(limits: FeedParserLimits = FeedParserLimits(), onItem: @escaping (FeedItem) -> Void) {
        self.limits = limits
        self.onItem = onItem
        onPendingItem = nil
        observer = nil
        stack.reserveCapacity(64)
        textBase = UnsafeMutablePointer<UInt8>.allocate(capacity: textCapacity)
    }

    /// Hands RSS items and Atom entries over as collected (``PendingItem``): the consumer
    /// makes each ``FeedItem`` with `item(warnings:)` — on another thread, as `parse` does,
    /// so that a second core does that work; the warnings about an item's fields come from
    /// there, not in ``FeedParseResult/warnings``. CVRF documents, whose one item is
    /// built from the whole document, are handed over finished.
    public init(limits: FeedParserLimits = FeedParserLimits(), onPendingItem: @escaping (PendingItem) -> Void) {
        self.limits = limits
        onItem = { item in onPendingItem(PendingItem(finished: item)) }
        self.onPendingItem = onPendingItem
        observer = nil
        stack.reserveCapacity(64)
        textBase = UnsafeMutablePointer<UInt8>.allocate(capacity: textCapacity)
    }

    /// A parser whose events `observer` sees too, items included (`ParseObserver.item`).
    package init(limits: FeedParserLimits = FeedParserLimits(), observer: any ParseObserver) {
        self.limits = limits
        onItem = { _ in }
        onPendingItem = nil
        self.observer = observer
        stack.reserveCapacity(64)
        textBase = UnsafeMutablePointer<UInt8>.allocate(capacity: textCapacity)
    }

    deinit {
        freeContext()
        textBase.deallocate()
    }

    /// The text collected for the current field.
    var text: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: textBase, count: textCount) }

    /// Parses the next piece of the document. May be called many times; after a fatal error
    /// (or ``finish()``) further chunks are ignored.
    public func consume(_ chunk: UnsafeRawBufferPointer) {
        guard !failed, finalResult == nil, !chunk.isEmpty else { return }
        var bytes = chunk
        let room = max(limits.maxDocumentBytes - consumed, 0)
        let tooLarge = bytes.count > room
        if tooLarge { bytes = UnsafeRawBufferPointer(rebasing: chunk[0..<room]) }
        consumed += bytes.count
        if json != nil {
            appendJSON(bytes)
            return
        }
        if context == nil {
            pending.append(contentsOf: bytes)
            if FeedParser.startsAsJSON(pending) {
                json = []
                appendJSON(UnsafeRawBufferPointer(start: nil, count: 0))
                return
            }
            if pending.count >= 4, FeedParser.headIsComplete(pending) {
                let held = pending
                pending = []
                held.withUnsafeBytes { start(with: $0) }
            }
        } else {
            push(bytes, terminate: false)
            if mislabel != nil { mislabel!.scan(bytes) }
        }
        if tooLarge, !failed {
            fail(line: currentLine, "document larger than \(limits.maxDocumentBytes) bytes")
        }
    }

    /// Enough of the start is there: 4 bytes for libxml2's encoding detection, and an XML
    /// declaration whole (for `MislabelCheck`), looked for in the first 200 bytes.
    static func headIsComplete(_ head: [UInt8]) -> Bool {
        guard head.starts(with: Array("<?xml".utf8)), head.count < 200 else { return true }
        return head.contains(UInt8(ascii: ">"))
    }

    /// Ends the document and returns what was found. Calling it again returns the same result.
    public func finish() -> FeedParseResult {
        if let finalResult { return finalResult }
        if json != nil {
            if !failed { finishJSON() }
            json = nil
        } else if !failed {
            if context == nil {
                if pending.isEmpty {
                    fail(line: nil, "empty document")
                } else {
                    let held = pending
                    pending = []
                    held.withUnsafeBytes { start(with: $0) }
                }
            }
            if !failed, context != nil {
                push(UnsafeRawBufferPointer(start: nil, count: 0), terminate: true)
            }
            if observer != nil, let context, context.pointee.wellFormed == 0 || context.pointee.nsWellFormed == 0 {
                markIllFormed(line: currentLine, "not well-formed")
            }
            if !failed, observer == nil, let context, context.pointee.wellFormed == 0 {
                fail(line: currentLine, "not well-formed")
            }
            if !failed, result.format == nil, result.error == nil {
                fail(line: nil, "empty document: no root element")
            }
        }
        observer?.finished(self, consumedBytes: consumed)
        if let mislabel, mislabel.looksLikeUTF8 {
            warn(
                line: nil,
                "the document declares encoding \"\(mislabel.label)\" but its bytes are UTF-8: libxml2 decodes by the "
                    + "declaration, so non-ASCII text is garbled (the feed should declare encoding=\"UTF-8\")")
        }
        result.suppressedWarnings = suppressedWarnings
        if suppressedWarnings > 0 {
            result.warnings.append(FeedWarning(line: nil, "\(suppressedWarnings) more warnings not shown"))
        }
        freeContext()
        pending = []
        finalResult = result
        return result
    }

    /// Reads `path` in 256 KiB chunks.
    public static func parse(
        file path: String, limits: FeedParserLimits = FeedParserLimits(), onItem: @escaping (FeedItem) -> Void
    ) -> FeedParseResult {
        let parser = FeedParser(limits: limits, onItem: onItem)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            var result = parser.finishWithoutInput()
            result.error = FeedParseError(line: nil, message: "cannot open \(path): \(String(cString: strerror(errno)))")
            return result
        }
        defer { close(fd) }
        let size = 256 << 10
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while !parser.failed {
            let count = read(fd, buffer.baseAddress, size)
            if count < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                parser.fail(line: nil, "cannot read \(path): \(reason)")
                break
            }
            if count == 0 { break }
            parser.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return parser.finish()
    }

    public static func parse(
        data: [UInt8], limits: FeedParserLimits = FeedParserLimits(), onItem: @escaping (FeedItem) -> Void
    ) -> FeedParseResult {
        let parser = FeedParser(limits: limits, onItem: onItem)
        data.withUnsafeBytes { parser.consume($0) }
        return parser.finish()
    }

    private func finishWithoutInput() -> FeedParseResult {
        failed = true
        return finish()
    }

    // MARK: - libxml2

    /// Process-wide setup, once: initialise libxml2 and refuse every external entity.
    private static let libraryReady: Bool = {
        xmlInitParser()
        xmlSetExternalEntityLoader { _, _, _ in nil }
        return true
    }()

    private func start(with first: UnsafeRawBufferPointer) {
        precondition(FeedParser.libraryReady)
        // `consume` scans what follows; the first chunk is scanned here.
        mislabel = MislabelCheck(declarationIn: first)
        mislabel?.scan(first)
        var handler = FeedParser.makeHandler(observed: observer != nil)
        // The first (at least 4) bytes go in at creation, for encoding detection.
        let head = UnsafeRawBufferPointer(rebasing: first[0..<min(4, first.count)])
        let created = withErrorHandlers {
            xmlCreatePushParserCtxt(
                &handler, Unmanaged.passUnretained(self).toOpaque(),
                head.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(head.count), nil)
        }
        guard let created else {
            fail(line: nil, "cannot create the XML parser")
            return
        }
        context = created
        // Never XML_PARSE_NOENT, DTDLOAD, DTDATTR, DTDVALID or HUGE. An observed parser reads
        // on past well-formedness errors (RECOVER), which loads and expands nothing more.
        let recover = observer != nil ? XML_PARSE_RECOVER.rawValue : 0
        xmlCtxtUseOptions(created, Int32(XML_PARSE_NONET.rawValue | recover))
        if first.count > head.count {
            push(UnsafeRawBufferPointer(rebasing: first[head.count...]), terminate: false)
        }
    }

    private func push(_ bytes: UnsafeRawBufferPointer, terminate: Bool) {
        guard let context else { return }
        var offset = 0
        repeat {
            let count = min(bytes.count - offset, 1 << 30)
            let last = offset + count == bytes.count
            let pointer = bytes.baseAddress.map { ($0 + offset).assumingMemoryBound(to: CChar.self) }
            withErrorHandlers {
                _ = xmlParseChunk(context, pointer, Int32(count), terminate && last ? 1 : 0)
            }
            offset += count
            if let message = genericError, !failed {
                if observer != nil { markIllFormed(line: currentLine, "not well-formed: \(message)") }
                fail(line: currentLine, "not well-formed: \(message)", stopNow: false)
            }
        } while offset < bytes.count && !failed
        // Errors reported from inside libxml2 stop it here, outside of any libxml2 call.
        if failed { xmlStopParser(context) }
    }

    /// Routes libxml2's thread-local error channels (used for messages raised outside a
    /// parser context, such as encoding conversion failures) to this parser for the
    /// duration of a call, then restores whatever was installed before.
    private func withErrorHandlers<T>(_ body: () -> T) -> T {
        let me = Unmanaged.passUnretained(self).toOpaque()
        let structured = __xmlStructuredError()
        let structuredContext = __xmlStructuredErrorContext()
        let generic = __xmlGenericError()
        let genericContext = __xmlGenericErrorContext()
        let savedStructured = structured?.pointee
        let savedStructuredContext = structuredContext?.pointee
        let savedGeneric = generic?.pointee
        let savedGenericContext = genericContext?.pointee
        xmlSetStructuredErrorFunc(me, FeedParser.structuredError)
        xmlSetGenericErrorFunc(me, FeedParser.genericErrorFunction)
        defer {
            structured?.pointee = savedStructured
            structuredContext?.pointee = savedStructuredContext
            generic?.pointee = savedGeneric
            genericContext?.pointee = savedGenericContext
        }
        return body()
    }

    private static let structuredError: xmlStructuredErrorFunc = { userData, error in
        guard let userData, let error else { return }
        Unmanaged<FeedParser>.fromOpaque(userData)._withUnsafeGuaranteedRef { $0.libxmlError(error.pointee) }
    }

    /// libxml2's generic channel is variadic (`void (*)(void *, const char *, ...)`), which Swift
    /// cannot declare. A function taking only the two fixed arguments is called correctly
    /// through it on the Linux ABIs (x86-64 System V, AArch64 AAPCS64): the variadic
    /// arguments are simply ignored, and the format string is kept as the message.
    private static var genericErrorFunction: xmlGenericErrorFunc {
        let function: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Void = { context, format in
            guard let context, let format else { return }
            let parser = Unmanaged<FeedParser>.fromOpaque(context).takeUnretainedValue()
            if parser.genericError == nil {
                parser.genericError = PlainText.oneLine(String(cString: format))
            }
        }
        return unsafeBitCast(function, to: xmlGenericErrorFunc.self)
    }

    private func freeContext() {
        guard let context else { return }
        if let document = context.pointee.myDoc {
            // libxml2 may build a stand-in document for entity declarations "in SAX mode".
            xmlFreeDoc(document)
            context.pointee.myDoc = nil
        }
        xmlFreeParserCtxt(context)
        self.context = nil
    }

    var currentLine: Int? {
        guard let context else { return nil }
        let line = Int(xmlSAX2GetLineNumber(context))
        return line > 0 ? line : nil
    }

    private func libxmlError(_ error: xmlError) {
        guard !failed else { return }
        let message = error.message.map { PlainText.oneLine(String(cString: $0)) } ?? "error \(error.code)"
        let line = error.line > 0 ? Int(error.line) : currentLine
        if error.level == XML_ERR_FATAL {
            // No xmlStopParser from inside libxml2's error reporting (it may be in the middle
            // of an encoding conversion whose buffers halting would free): `push` stops it.
            if message.hasPrefix("Excessive depth in document") {
                fail(line: line, "nesting deeper than \(min(limits.maxDepth, 256)) elements", stopNow: false)
                return
            }
            if observer != nil {
                markIllFormed(line: line, "not well-formed: \(message)")
                // An undeclared entity (`&eacute;` without a DTD): keep its text, as a
                // document with an external subset would (see `handler.reference`).
                if error.code == Int32(XML_ERR_UNDECLARED_ENTITY.rawValue), let name = error.str1 {
                    appendEntityReference(UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self))
                }
                return
            }
            fail(line: line, "not well-formed: \(message)", stopNow: false)
        } else {
            if observer != nil, error.domain == Int32(XML_FROM_NAMESPACE.rawValue) {
                markIllFormed(line: line, "not well-formed: \(message)")
            }
            warn(line: line, message)
        }
    }

    /// Records the first fatal error; from then on SAX events are ignored. `stopNow` halts
    /// libxml2 at once, which is safe from SAX element callbacks and between libxml2 calls;
    /// otherwise `push` halts it when `xmlParseChunk` returns.
    func fail(line: Int?, _ message: String, stopNow: Bool = true) {
        guard !failed else { return }
        failed = true
        collecting = false
        // An observed parser may have recorded an earlier error and read on: the first one stands.
        if result.error == nil { result.error = FeedParseError(line: line, message: message) }
        if stopNow, let context { xmlStopParser(context) }
    }

    /// With an observer: the document is not well-formed, and parsing goes on (libxml2
    /// recovers). The first such error is the result's error.
    func markIllFormed(line: Int?, _ message: String) {
        guard let observer else { return }
        observer.illFormed()
        if result.error == nil { result.error = FeedParseError(line: line, message: message) }
    }

    func warn(line: Int?, _ message: String) {
        if result.warnings.count < FeedParser.maxWarnings {
            result.warnings.append(FeedWarning(line: line, message))
        } else {
            suppressedWarnings += 1
        }
    }

    // MARK: - SAX handler

    private static func makeHandler(observed: Bool) -> xmlSAXHandler {
        // Every handler not set here stays NULL: no DOM is built, nothing is loaded.
        var handler = xmlSAXHandler()
        handler.initialized = XML_SAX2_MAGIC
        handler.startElementNs = { context, localname, prefix, uri, _, _, attributeCount, _, attributes in
            guard let context, let localname else { return }
            Unmanaged<FeedParser>.fromOpaque(context)._withUnsafeGuaranteedRef {
                $0.startElement(
                    localname: localname, prefix: prefix, uri: uri,
                    attributes: Attributes(base: attributes, count: Int(attributeCount)))
            }
        }
        handler.endElementNs = { context, _, _, _ in
            guard let context else { return }
            Unmanaged<FeedParser>.fromOpaque(context)._withUnsafeGuaranteedRef { $0.endElement() }
        }
        let characters: charactersSAXFunc = { context, bytes, count in
            guard let context, let bytes, count > 0 else { return }
            Unmanaged<FeedParser>.fromOpaque(context)._withUnsafeGuaranteedRef {
                if $0.collecting { $0.appendText(bytes, Int(count)) }
            }
        }
        handler.characters = characters
        handler.ignorableWhitespace = characters
        handler.cdataBlock = characters
        handler.reference = { context, name in
            // Only reached for an undeclared entity in a document with an external subset
            // (which is never loaded): keep the text readable.
            guard let context, let name else { return }
            Unmanaged<FeedParser>.fromOpaque(context).takeUnretainedValue().appendEntityReference(name)
        }
        // Hardening: declarations are ignored, nothing external is ever read.
        handler.entityDecl = { _, _, _, _, _, _ in }
        handler.getEntity = { _, name in xmlGetPredefinedEntity(name) }
        handler.getParameterEntity = { _, _ in nil }
        handler.resolveEntity = { _, _, _ in nil }
        handler.externalSubset = { _, _, _, _ in }
        handler.serror = FeedParser.structuredError
        if observed { addObserverHandlers(&handler) }
        return handler
    }

    /// With an observer: the same callbacks, each also feeding the observer; the DOCTYPE is
    /// looked at (its public id names the RSS 0.91 dialect) but never loaded.
    private static func addObserverHandlers(_ handler: inout xmlSAXHandler) {
        handler.startElementNs = { context, localname, prefix, uri, namespaceCount, namespaces, attributeCount, _, attributes in
            guard let context, let localname else { return }
            Unmanaged<FeedParser>.fromOpaque(context)._withUnsafeGuaranteedRef {
                let attributes = Attributes(base: attributes, count: Int(attributeCount))
                if $0.ignoringContent {
                    $0.skipElement()
                    return
                }
                $0.startElement(localname: localname, prefix: prefix, uri: uri, attributes: attributes)
                guard !$0.failed else { return }
                $0.observer?.elementStarted(
                    $0, localname: localname, uri: uri, attributes: attributes, namespaces: namespaces,
                    namespaceCount: Int(namespaceCount))
            }
        }
        handler.endElementNs = { context, _, _, _ in
            guard let context else { return }
            Unmanaged<FeedParser>.fromOpaque(context)._withUnsafeGuaranteedRef {
                if !$0.ignoringContent, !$0.failed { $0.observer?.elementEnding($0) }
                $0.endElement()
            }
        }
        let characters: charactersSAXFunc = { context, bytes, count in
            guard let context, let bytes, count > 0 else { return }
            Unmanaged<FeedParser>.fromOpaque(context)._withUnsafeGuaranteedRef {
                if $0.collecting { $0.appendText(bytes, Int(count)) }
                $0.observer?.characters(bytes, Int(count))
            }
        }
        handler.characters = characters
        handler.ignorableWhitespace = characters
        handler.cdataBlock = characters
        handler.internalSubset = { context, _, publicID, systemID in
            guard let context else { return }
            let parser = Unmanaged<FeedParser>.fromOpaque(context).takeUnretainedValue()
            for id in [publicID, systemID] {
                if let id { parser.observer?.doctype(String(cString: id)) }
            }
        }
    }

    /// Observed, below a root that is not a feed: only depth is counted.
    func skipElement() {
        guard !failed else { return }
        depth += 1
        if depth > limits.maxDepth {
            fail(line: currentLine, "nesting deeper than \(limits.maxDepth) elements")
            return
        }
        stack.append(0)
    }

    /// The text of an entity reference libxml2 could not resolve: an HTML named entity
    /// becomes its character (no-break space a plain space), anything else stays as written.
    func appendEntityReference(_ name: UnsafePointer<UInt8>) {
        guard collecting || observer?.capturesText == true else { return }
        let length = Int(xmlStrlen(name))
        let bytes: [UInt8]
        if let scalar = PlainText.namedEntity(UnsafeBufferPointer(start: name, count: length)) {
            var unicode = Unicode.Scalar(scalar) ?? " "
            if scalar == 0xA0 { unicode = " " }
            bytes = Array(String(Character(unicode)).utf8)
        } else {
            bytes = Array("&".utf8) + Array(UnsafeBufferPointer(start: name, count: length)) + Array(";".utf8)
        }
        bytes.withUnsafeBufferPointer {
            if collecting { appendText($0.baseAddress!, $0.count) }
            observer?.characters($0.baseAddress!, $0.count)
        }
    }

    // MARK: - Text

    @inline(__always)
    func appendText(_ bytes: UnsafePointer<UInt8>, _ count: Int) {
        var count = count
        let room = limits.maxTextBytes - textCount
        if count > room {
            count = max(room, 0)
            textTruncated = true
        }
        let needed = textCount + count
        if needed > textCapacity { growText(to: needed) }
        if count == 1 {
            // Each entity reference (`&lt;`) is a callback of one byte: no call to memmove.
            textBase[textCount] = bytes[0]
        } else {
            (textBase + textCount).update(from: bytes, count: count)
        }
        textCount = needed
    }

    private func growText(to needed: Int) {
        var capacity = textCapacity
        while capacity < needed { capacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        grown.update(from: textBase, count: textCount)
        textBase.deallocate()
        textBase = grown
        textCapacity = capacity
    }

    func beginText(code: UInt8, markup: Markup = .text) {
        collecting = true
        textCount = 0
        textTruncated = false
        fieldDepth = depth
        fieldCode = code
        fieldMarkup = markup
        fieldLine = currentLine ?? 0
    }

    /// Ends collection; when the text was cut at `maxTextBytes`, drops a partial UTF-8
    /// sequence and warns.
    func endText(fieldName: @autoclosure () -> String) {
        collecting = false
        if textTruncated {
            let text = self.text
            var end = text.count
            // Back off to the start of the last (possibly incomplete) sequence…
            var start = end
            while start > 0, text[start - 1] & 0xC0 == 0x80, end - start < 3 { start -= 1 }
            if start > 0 {
                let lead = text[start - 1]
                let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
                // …and drop it when it is incomplete.
                if end - (start - 1) < length { end = start - 1 }
            }
            textCount = end
            warn(line: fieldLine, "\(fieldName()) text longer than \(limits.maxTextBytes) bytes, truncated")
        }
    }
}

/// How a text construct's content is to be read.
package enum Markup: UInt8 {
    case text, html, xhtml
}

/// The attributes of a SAX2 `startElementNs` call: 5 pointers each (local name, prefix,
/// URI, value start, value end).
package struct Attributes {
    let base: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
    let count: Int

    /// The value of the attribute `name` without a namespace (or, with `namespace`, in that
    /// namespace), with `&#38;` (how SAX2 passes `&` when entities are not substituted)
    /// decoded.
    package func value(_ name: StaticString, namespace: StaticString? = nil) -> String? {
        bytes(name, namespace: namespace).map(Attributes.decode)
    }

    /// The value without surrounding white space; nil when absent or blank.
    package func trimmed(_ name: StaticString, namespace: StaticString? = nil) -> String? {
        bytes(name, namespace: namespace).flatMap(Attributes.trimmed)
    }

    /// The raw value (with `&#38;` still in it).
    func bytes(_ name: StaticString, namespace: StaticString? = nil) -> UnsafeBufferPointer<UInt8>? {
        guard let base else { return nil }
        for index in 0..<count {
            let entry = base + index * 5
            guard let local = entry[0], equals(local, name) else { continue }
            if let namespace {
                guard let uri = entry[2], equals(uri, namespace) else { continue }
            } else if entry[2] != nil {
                continue
            }
            guard let start = entry[3], let end = entry[4] else { return UnsafeBufferPointer(start: nil, count: 0) }
            return UnsafeBufferPointer(start: start, count: end - start)
        }
        return nil
    }

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "&"), let (scalar, end) = PlainText.entity(bytes, from: i),
                bytes[i + 1] == UInt8(ascii: "#")
            {
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
                i = end
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

@inline(__always)
package func equals(_ pointer: UnsafePointer<UInt8>, _ literal: StaticString) -> Bool {
    let count = literal.utf8CodeUnitCount
    let bytes = literal.utf8Start
    // Byte by byte: stops at the C string's NUL, which never equals a literal's byte.
    for index in 0..<count where pointer[index] != bytes[index] { return false }
    return pointer[count] == 0
}

extension PlainText {
    /// A libxml2 message on one line: `Input is not proper UTF-8, indicate encoding ! Bytes: 0xC3 0x28`.
    static func oneLine(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }
}

/// A document that declares a single-byte encoding (ISO-8859-1, -2, Windows-1250/1252) but
/// whose bytes are UTF-8, a common mistake: libxml2 decodes by the declaration and every
/// non-ASCII letter comes out as two or three wrong ones (`Ã©` for `é`). The parser cannot
/// know which is meant, so it keeps libxml2's reading and warns when every non-ASCII byte of
/// the input belongs to a well-formed UTF-8 sequence (text really in ISO-8859-x almost never
/// does). Only such documents are scanned.
struct MislabelCheck {
    let label: String
    var sequences = 0
    var strayBytes = 0

    var looksLikeUTF8: Bool { sequences > 0 && strayBytes == 0 }

    /// Nil unless the XML declaration at the start of `head` names a single-byte encoding.
    init?(declarationIn head: UnsafeRawBufferPointer) {
        let prefix = Array(head.prefix(200))
        guard prefix.starts(with: Array("<?xml".utf8)), let end = prefix.firstIndex(of: UInt8(ascii: ">")) else {
            return nil
        }
        let declaration = String(decoding: prefix[..<end], as: UTF8.self)
        guard let range = declaration.range(of: "encoding") else { return nil }
        let rest = declaration[range.upperBound...].drop { $0 == " " || $0 == "=" }
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        let label = rest.dropFirst().prefix { $0 != quote }
        let name = label.lowercased()
        let singleByte = ["iso-8859-1", "iso_8859-1", "latin1", "latin-1", "iso-8859-2", "latin2", "windows-1250",
            "windows-1252", "cp1250", "cp1252", "iso-8859-15"]
        guard singleByte.contains(name) else { return nil }
        self.label = String(label)
    }

    /// Counts well-formed multi-byte UTF-8 sequences and bytes outside any. A sequence cut by
    /// the chunk's end counts as neither.
    mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        guard strayBytes == 0 else { return }
        var i = 0
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            if c < 0x80 {
                i += 1
                continue
            }
            let length = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0
            guard length > 0 else {
                strayBytes += 1
                return
            }
            if i + length > n { return }
            for k in 1..<length where bytes[i + k] & 0xC0 != 0x80 {
                strayBytes += 1
                return
            }
            sequences += 1
            i += length
        }
    }
}
