import Foundation
import SwarmBase
import Tensor

/// Forward and backward passes for LoRA training on the frozen quantized core.
///
/// One session owns every buffer for a fixed [batch × seqLen]: the activations kept for the
/// backward pass (per layer), the scratch, and the gradient (same layout as the LoRA
/// parameters). Only the adapters get gradients; the core's matrices are read quantized, in
/// place, in both directions. The loss is cross-entropy on labelled positions only: a label at
/// position t (not -100) is the target predicted from positions ..<t.
///
/// The passes live in extensions by concern: +Forward (layers, projections, attention), +Loss
/// (final norm, logits, cross-entropy), +Backward, +DoRA (magnitude scaling and its gradient),
/// +Dropout (the LoRA input masks) and +RowOps (RMSNorm, RoPE, SwiGLU, residual add).
///
/// Shapes in the buffer comments: B = batch, T = seqLen, N = B·T token rows, C = dim,
/// KV = kvDim, H = hiddenDim, NH = heads, R = LoRA rank, V = vocabSize, L = the loss chunk.
public final class TrainingSession {
    public let model: LlamaModel
    public let lora: LoRAParameters
    public let gradients: FloatBuffer         // (lora.count) same layout as the LoRA parameters
    public let pool: ComputePool
    public let batch: Int
    public let seqLen: Int
    /// Seed for dropout masks (combined with the step counter).
    public var dropoutSeed: UInt64 = 0
    /// Arithmetic of the frozen-core matmuls (the adapters, attention and loss stay fp32).
    public var precision: Precision = .fp32
    /// Micro-batches run so far. The dropout masks are keyed by it, so a resumed trainer sets it
    /// back to the value it had at the checkpoint.
    public var steps = 0

    let config: LlamaConfig
    /// N: token rows per micro-batch (batch × seqLen).
    let tokens: Int
    let rank: Int

    /// What one layer's forward pass keeps for the backward pass.
    struct LayerActivations {
        let residualIn: FloatBuffer           // (N, C) the layer's input
        let attentionRstd: FloatBuffer        // (N) 1/rms of residualIn (attention norm)
        let query: FloatBuffer                // (N, C) after RoPE
        let key: FloatBuffer                  // (N, KV) after RoPE
        let value: FloatBuffer                // (N, KV)
        let attentionProbs: FloatBuffer       // (B, NH, T, T) causal softmax, upper triangle 0
        let attentionOut: FloatBuffer         // (N, C) P·V, the o projection's input
        let residualMid: FloatBuffer          // (N, C) residualIn + attention branch
        let ffnRstd: FloatBuffer              // (N) 1/rms of residualMid (FFN norm)
        let gate: FloatBuffer                 // (N, H) gate projection
        let up: FloatBuffer                   // (N, H) up projection
        /// Per adapted target: input·Aᵀ, the adapter's low-rank activation.
        var adapterHidden: [LoRATarget: FloatBuffer]      // (N, R)
        /// DoRA per adapted target: the output before the magnitude scaling (x·Wᵀ + s·x·Aᵀ·Bᵀ).
        var doraUnscaled: [LoRATarget: FloatBuffer]       // (N, out)
    }
    var activations: [LayerActivations] = []   // (layers)

    // The residual stream and per-layer scratch of the forward pass.
    let residual: FloatBuffer                 // (N, C) running residual stream
    let normed: FloatBuffer                   // (N, C) RMSNorm output, a projection's input
    let branchOut: FloatBuffer                // (N, max(C, H)) o or down projection output, added to the residual
    let mlpHidden: FloatBuffer                // (N, H) silu(gate) ⊙ up, the down projection's input
    let residualFinal: FloatBuffer            // (N, C) residual after the last layer
    let finalRstd: FloatBuffer                // (N) 1/rms of residualFinal (output norm), loss rows only
    let rotary: RotaryEmbedding               // positions 0..<T

    // Gradients of the activations (reused layer by layer, last to first).
    let dResidual: FloatBuffer                // (N, C)
    let dNormed: FloatBuffer                  // (N, C)
    let dQuery: FloatBuffer                   // (N, C)
    let dKey: FloatBuffer                     // (N, KV)
    let dValue: FloatBuffer                   // (N, KV)
    let dAttentionOut: FloatBuffer            // (N, C)
    let dMLPHidden: FloatBuffer               // (N, H)
    let dGate: FloatBuffer                    // (N, H)
    let dUp: FloatBuffer                      // (N, H)
    /// dS per worker in the attention backward pass.
    let dScoresPerWorker: FloatBuffer         // (threads, T, T)

    // Adapter scratch.
    let scaledHidden: FloatBuffer             // (N, R) s · adapterHidden
    let dAdapterHidden: FloatBuffer           // (N, R) d(input·Aᵀ), scaled by s
    let droppedInput: FloatBuffer             // (N, max(C, H)) dropout(input); empty without dropout
    let dDroppedInput: FloatBuffer            // (N, max(C, H)) dAdapterHidden·A before the mask; empty without dropout

    // DoRA, per slot index.
    var doraBaseSquaredNorms: [Int: [Double]] = [:]   // (out) ‖W_o‖², fixed
    var doraRowNorms: [Int: FloatBuffer] = [:]        // (out) this step's ‖W_o + s(BA)_o‖
    let dDoraUnscaled: FloatBuffer            // (N, max(C, H)) gradient into doraUnscaled; empty without DoRA
    /// Keeps the DoRA row norms of the last forward pass instead of recomputing them: the norm is a
    /// constant of the backward pass, so finite-difference checks must hold it fixed too.
    var doraNormsFrozen = false

    // The loss, L labelled rows at a time.
    let lossChunk = 128
    let lossRowsNormed: FloatBuffer           // (L, C) output-normed rows of residualFinal
    let dLossRowsNormed: FloatBuffer          // (L, C)
    let lossLogits: FloatBuffer               // (L, V) logits, then their gradient

    /// Allocates the whole workspace for micro-batches of `batch` sequences of `seqLen` tokens.
    /// Throws when it cannot be had, or when it is more than the machine's memory (the kernel
    /// would grant the pages lazily and stop the process when a step touches them): the error
    /// says how much a batch of this size needs, so the caller can name its flags.
    public init(model: LlamaModel, lora: LoRAParameters, batch: Int, seqLen: Int, pool: ComputePool) throws(AllocationError) {
        precondition(lora.model == model.config, "LoRA parameters were made for another model shape")
        self.model = model
        self.lora = lora
        self.pool = pool
        self.batch = batch
        self.seqLen = seqLen
        config = model.config
        tokens = batch * seqLen
        rank = lora.config.rank
        gradients = try FloatBuffer(count: lora.count)
        let n = tokens, d = config.dim, kv = config.kvDim, h = config.hiddenDim
        for l in 0..<config.layers {
            var hidden: [LoRATarget: FloatBuffer] = [:], unscaled: [LoRATarget: FloatBuffer] = [:]
            for t in lora.config.targets where lora.slot(layer: l, target: t) != nil {
                hidden[t] = try FloatBuffer(count: n * rank)
                if lora.config.dora { unscaled[t] = try FloatBuffer(count: n * t.shape(config).out) }
            }
            activations.append(LayerActivations(
                residualIn: try FloatBuffer(count: n * d), attentionRstd: try FloatBuffer(count: n),
                query: try FloatBuffer(count: n * d), key: try FloatBuffer(count: n * kv), value: try FloatBuffer(count: n * kv),
                attentionProbs: try FloatBuffer(count: batch * config.heads * seqLen * seqLen),
                attentionOut: try FloatBuffer(count: n * d), residualMid: try FloatBuffer(count: n * d),
                ffnRstd: try FloatBuffer(count: n), gate: try FloatBuffer(count: n * h), up: try FloatBuffer(count: n * h),
                adapterHidden: hidden, doraUnscaled: unscaled))
        }
        residualFinal = try FloatBuffer(count: n * d)
        finalRstd = try FloatBuffer(count: n)
        residual = try FloatBuffer(count: n * d)
        normed = try FloatBuffer(count: n * d)
        branchOut = try FloatBuffer(count: n * max(d, h))
        mlpHidden = try FloatBuffer(count: n * h)
        dResidual = try FloatBuffer(count: n * d)
        dNormed = try FloatBuffer(count: n * d)
        dQuery = try FloatBuffer(count: n * d)
        dKey = try FloatBuffer(count: n * kv)
        dValue = try FloatBuffer(count: n * kv)
        dAttentionOut = try FloatBuffer(count: n * d)
        dMLPHidden = try FloatBuffer(count: n * h)
        dGate = try FloatBuffer(count: n * h)
        dUp = try FloatBuffer(count: n * h)
        scaledHidden = try FloatBuffer(count: n * rank)
        dAdapterHidden = try FloatBuffer(count: n * rank)
        let dropSize = lora.config.dropout > 0 ? n * max(d, h) : 0
        droppedInput = try FloatBuffer(count: dropSize)
        dDroppedInput = try FloatBuffer(count: dropSize)
        rotary = try RotaryEmbedding(config: config, frequencyFactors: model.ropeFrequencyFactors, positions: seqLen)
        precondition(!(lora.config.dora && lora.config.dropout > 0), "DoRA with LoRA dropout is not supported")
        dDoraUnscaled = try FloatBuffer(count: lora.config.dora ? n * max(d, h) : 0)
        dScoresPerWorker = try FloatBuffer(count: pool.threads * seqLen * seqLen)
        if lora.config.dora {
            for (i, s) in lora.slots.enumerated() {
                doraBaseSquaredNorms[i] = DoRA.rowSquaredNorms(model.matrix(s.target, layer: s.layer))
                doraRowNorms[i] = try FloatBuffer(count: s.outputs)
            }
        }
        lossRowsNormed = try FloatBuffer(count: lossChunk * d)
        dLossRowsNormed = try FloatBuffer(count: lossChunk * d)
        lossLogits = try FloatBuffer(count: lossChunk * config.vocabSize)
        let bytes = bufferBytes, physical = FloatBuffer.physicalMemoryBytes
        if bytes > physical {
            throw AllocationError(count: bytes / 4, bytes: bytes,
                                  reason: "a training workspace for \(batch) sequences of \(seqLen) tokens is more than this machine's \(physical >> 20) MiB of memory")
        }
    }

    /// The buffers a step recomputes before it reads them (activations, scratch, the gradient):
    /// everything but the RoPE tables and DoRA's fixed norms.
    private var workspaceBuffers: [FloatBuffer] {
        var buffers = [gradients]
        for a in activations {
            buffers += [a.residualIn, a.attentionRstd, a.query, a.key, a.value, a.attentionProbs, a.attentionOut,
                        a.residualMid, a.ffnRstd, a.gate, a.up]
            buffers += a.adapterHidden.values
            buffers += a.doraUnscaled.values
        }
        buffers += [residualFinal, finalRstd, residual, normed, branchOut, mlpHidden, dResidual, dNormed, dQuery, dKey,
                    dValue, dAttentionOut, dMLPHidden, dGate, dUp, dScoresPerWorker, scaledHidden, dAdapterHidden,
                    droppedInput, dDroppedInput, dDoraUnscaled, lossRowsNormed, dLossRowsNormed, lossLogits]
        return buffers
    }

    /// Bytes held by this session's buffers (activations, scratch, gradients).
    public var bufferBytes: Int { workspaceBuffers.reduce(0) { $0 + $1.count } * 4 }

    /// Gives the workspace's memory back between steps: every buffer a step recomputes is reset to
    /// its freshly allocated state (large ones return their pages to the kernel). The next step
    /// gives the same result bit for bit; it only touches the pages again. A simulator with many
    /// more nodes than threads calls it after each node's local steps, so idle nodes hold only
    /// their adapter and optimizer state.
    public func releaseWorkspace() {
        for b in workspaceBuffers { b.discardContents() }
    }

    public func zeroGradients() { gradients.zero() }

    /// The summed cross-entropy over labelled positions and their count.
    public struct LossSum: Sendable {
        public var sum: Double
        public var tokens: Int
        public var mean: Double { tokens > 0 ? sum / Double(tokens) : 0 }
    }

    /// Forward and backward on one micro-batch; adds `lossScale` × d(sum of CE)/dθ to `gradients`.
    /// With gradient accumulation, pass lossScale = 1 / (labelled tokens in the whole step).
    public func accumulateGradients(ids: [Int32], labels: [Int32], lossScale: Float) throws(LMError) -> LossSum {
        let loss = try forward(ids: ids, labels: labels, backward: true, lossScale: lossScale)
        backward()
        steps += 1
        return loss
    }

    /// Forward only: the summed cross-entropy over labelled positions.
    public func evaluate(ids: [Int32], labels: [Int32]) throws(LMError) -> LossSum {
        try forward(ids: ids, labels: labels, backward: false, lossScale: 0)
    }
}
