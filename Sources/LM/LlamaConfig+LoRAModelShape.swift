import Adapters

extension LlamaConfig {
    /// The model dimensions an adapter file is checked against (layer count, projection sizes).
    public var loraModelShape: LoRAModelShape {
        LoRAModelShape(layerCount: layers, hiddenSize: dim, intermediateSize: hiddenDim,
                       attentionHeadCount: heads, keyValueHeadCount: kvHeads, headDimension: headDim)
    }
}
