import Delivery
import Foundation

extension EmailDispatcher {
    /// Renders `requests` in the background, on every core (rendering is most of a
    /// delivery's CPU); the messages are still handed to the transport one by one, in order.
    func render(_ chunk: Chunk) -> Handoff<[RenderedEmail?]> {
        let job = Handoff<[RenderedEmail?]>()
        let renderer = self.renderer
        let requests = Array(chunk.batch.requests[chunk.start..<chunk.end])
        let mboxText = transport.wantsMboxText
        let render: @Sendable (EmailRequest) -> RenderedEmail = { request in
            var email = renderer.render(request)
            if mboxText { email.mboxText = MboxFormat.quoted(email.bytes) }
            return email
        }
        renderQueue.async {
            let workers = min(ProcessInfo.processInfo.activeProcessorCount, 8, requests.count / 8)
            guard workers > 1 else {
                job.finish(requests.map { $0.map(render) })
                return
            }
            let results = UnsafeMutableBufferPointer<RenderedEmail?>.allocate(capacity: requests.count)
            results.initialize(repeating: nil)
            defer {
                results.deinitialize()
                results.deallocate()
            }
            // Each worker writes only its own slots (every workers-th one).
            nonisolated(unsafe) let slots = results
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for index in stride(from: worker, to: requests.count, by: workers) {
                    if let request = requests[index] { slots[index] = render(request) }
                }
            }
            job.finish(Array(results))
        }
        return job
    }
}
