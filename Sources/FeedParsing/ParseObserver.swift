package import Articles
internal import CLibXML2

/// A second reader of a parser's SAX events, for tools that want more of a feed than its
/// items: the conformance tests' detail reader (`FeedParsingDetail`), which is not part of
/// critfix. Installed with `FeedParser.init(limits:observer:)`; a parser without one runs
/// none of this. Called on the parser's thread, after its own handling of a start and
/// before its own handling of an end, and never once the parser has failed.
package protocol ParseObserver: AnyObject {
    func elementStarted(
        _ parser: FeedParser, localname: UnsafePointer<UInt8>, uri: UnsafePointer<UInt8>?, attributes: Attributes,
        namespaces: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, namespaceCount: Int)
    func elementEnding(_ parser: FeedParser)
    /// Character data, and the text of references the parser resolved.
    func characters(_ bytes: UnsafePointer<UInt8>, _ count: Int)
    /// True while the observer collects text (references are then resolved for it too).
    var capturesText: Bool { get }
    /// A public or system identifier of the DOCTYPE (never loaded).
    func doctype(_ identifier: String)
    /// The document is not well-formed; the parser reads on.
    func illFormed()
    /// An item the parser made, just after the end of its element.
    func item(_ item: FeedItem)
    func finished(_ parser: FeedParser, consumedBytes: Int)
}

extension FeedParser {
    /// The encoding libxml2 decodes the input with, lower case; UTF-8 when it needs no converter.
    package var inputEncoding: String? {
        guard let context, let input = context.pointee.input else { return nil }
        if let buffer = input.pointee.buf, let encoder = buffer.pointee.encoder, let name = encoder.pointee.name {
            return String(cString: name).lowercased()
        }
        return "utf-8"
    }
}
