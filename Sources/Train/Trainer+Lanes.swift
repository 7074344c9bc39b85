import Dispatch
import LM
import Tensor
import TrainData

extension Trainer {
    /// Adds the gradients of `micro` into `session.gradients`, micro-batch j on lane j mod L
    /// (lane 0 is `session`), at the same micro-step counters (dropout masks) as one session
    /// running them in order; returns the summed loss over the micro-batches in their order.
    func accumulateOnLanes(_ micro: [Batch], lossScale: Float) throws(LMError) -> Double {
        let lanes = [session] + laneSessions
        let first = session.steps
        let work = LaneWork(lanes: lanes, micro: micro, firstStep: first, lossScale: lossScale)
        for lane in laneSessions { lane.zeroGradients() }
        DispatchQueue.concurrentPerform(iterations: lanes.count) { work.run(lane: $0) }
        session.steps = first + micro.count
        if let error = work.firstError { throw error }
        // Lane order, so the sum is the same every run.
        let into = session.gradients.pointer
        for lane in laneSessions {
            let g = lane.gradients.pointer
            for i in 0..<lora.count { into[i] += g[i] }
        }
        return work.losses.reduce(0, +)
    }
}

/// One step's micro-batches shared by the lanes. Lane k touches only its own session and the
/// slots of micro-batches k, k + L, ... (raw storage: no exclusivity check spans slots).
private final class LaneWork: @unchecked Sendable {
    let lanes: [TrainingSession]
    let micro: [Batch]
    let firstStep: Int
    let lossScale: Float
    private let lossSlots: UnsafeMutablePointer<Double>
    private let errorSlots: UnsafeMutablePointer<LMError?>

    init(lanes: [TrainingSession], micro: [Batch], firstStep: Int, lossScale: Float) {
        (self.lanes, self.micro, self.firstStep, self.lossScale) = (lanes, micro, firstStep, lossScale)
        lossSlots = .allocate(capacity: max(1, micro.count))
        lossSlots.initialize(repeating: 0, count: max(1, micro.count))
        errorSlots = .allocate(capacity: lanes.count)
        errorSlots.initialize(repeating: nil, count: lanes.count)
    }

    deinit {
        lossSlots.deallocate()
        errorSlots.deinitialize(count: lanes.count)
        errorSlots.deallocate()
    }

    func run(lane k: Int) {
        let session = lanes[k]
        for j in stride(from: k, to: micro.count, by: lanes.count) {
            session.steps = firstStep + j
            do throws(LMError) {
                lossSlots[j] = try session.accumulateGradients(ids: micro[j].ids, labels: micro[j].labels, lossScale: lossScale).sum
            } catch {
                errorSlots[k] = error
                return
            }
        }
    }

    /// The losses of the micro-batches, in their order.
    var losses: [Double] { (0..<micro.count).map { lossSlots[$0] } }
    /// The first lane's error, in lane order.
    var firstError: LMError? { (0..<lanes.count).lazy.compactMap { self.errorSlots[$0] }.first }
}
