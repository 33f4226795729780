public import Inference
public import Runs

extension FidelityRunKind: BatchCollecting {
    /// Every question of a fidelity subject is asked alone: one `--batch` wave collects them all.
    public var batchCollecting: BatchingModel.Collecting { .independent }
}
