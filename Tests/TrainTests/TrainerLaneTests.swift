import Testing
import LM
import Tensor
import TestSupport
import TrainData
@testable import Train

/// Micro-batches of one step on several sessions at once (`Trainer(lanes:)`): the same step as
/// one session, up to the rounding of the gradient sum, and the same on every run.
@Suite struct TrainerLaneTests {
    /// Dropout on and four micro-batches a step, so a lane that drew another micro-step's mask
    /// or summed another lane's gradients twice would move the adapter by far more than rounding.
    static func options() -> TrainingOptions {
        var o = TrainerTests.smallRun(steps: 3)
        o.gradientAccumulation = 4
        return o
    }

    func run(lanes: Int) throws -> (values: [Float], losses: [Double]) {
        let (model, core, dir) = try TinyModel.loaded()
        _ = dir
        let o = Self.options()
        let data = TrainerTests.examples(core, count: 12)
        let t = try Trainer(model: model, options: o, padID: 2, pool: ComputePool(threads: 1), lanes: lanes)
        var losses: [Double] = []
        for _ in 0..<o.steps { losses.append(try t.trainStep(data).loss) }
        return (t.lora.values.array, losses)
    }

    @Test func lanesTakeTheSameStepsAsOneSessionUpToRounding() throws {
        let one = try run(lanes: 1), three = try run(lanes: 3)
        for (a, b) in zip(one.losses, three.losses) { #expect(abs(a - b) <= 1e-5 * abs(a)) }
        let scale = one.values.reduce(Float(0)) { max($0, abs($1)) }
        let worst = zip(one.values, three.values).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(scale > 0)
        #expect(worst <= 1e-4 * scale, "largest difference \(worst) against values up to \(scale)")
    }

    @Test func twoRunsOnLanesAreBitIdentical() throws {
        let a = try run(lanes: 2), b = try run(lanes: 2)
        #expect(a.values == b.values)
        #expect(a.losses == b.losses)
    }
}
