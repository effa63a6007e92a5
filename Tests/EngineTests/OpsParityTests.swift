// Every op's forward and gradients against PyTorch fixtures (Tests/Fixtures/pytorch/ops).
import Engine
import Foundation
import Testing

@Suite struct OpsParityTests {
    @Test(arguments: ["conv2d_k1s2p0", "conv2d_k3s1p1_bias", "conv2d_k3s2p1", "conv2d_k4s4p0_bias", "conv2d_k7s2p3"])
    func conv2d(name: String) throws {
        let f = try fixture("ops/\(name).safetensors")
        let meta = try JSONSerialization.jsonObject(with: Data(f.metadata["case"]!.utf8)) as! [String: Any]
        let stride = meta["stride"] as! Int, pad = meta["padding"] as! Int
        let x = param(try f.tensor("x")), w = param(try f.tensor("weight"))
        let b = f["bias"] != nil ? param(try f.tensor("bias")) : nil
        let out = Engine.conv2d(x, weight: w, bias: b, stride: (stride, stride), padding: Padding(pad))
        expectClose(out, try f.tensor("out"), "\(name) out")
        backwardWith(out, try f.tensor("grad_out"))
        expectClose(x.grad, try f.tensor("grad_x"), "\(name) grad_x")
        expectClose(w.grad, try f.tensor("grad_weight"), "\(name) grad_weight")
        if let b { expectClose(b.grad, try f.tensor("grad_bias"), "\(name) grad_bias") }
    }

    @Test func linear() throws {
        let f = try fixture("ops/linear.safetensors")
        let x = param(try f.tensor("x")), w = param(try f.tensor("weight")), b = param(try f.tensor("bias"))
        let out = Engine.linear(x, weight: w, bias: b)
        expectClose(out, try f.tensor("out"), "linear out")
        backwardWith(out, try f.tensor("grad_out"))
        expectClose(x.grad, try f.tensor("grad_x"), "grad_x")
        expectClose(w.grad, try f.tensor("grad_weight"), "grad_weight")
        expectClose(b.grad, try f.tensor("grad_bias"), "grad_bias")
    }

    @Test(arguments: ["train", "eval"])
    func batchNorm(mode: String) throws {
        let f = try fixture("ops/batchnorm2d_\(mode).safetensors")
        let x = param(try f.tensor("x")), w = param(try f.tensor("weight")), b = param(try f.tensor("bias"))
        let rm = try f.tensor("running_mean"), rv = try f.tensor("running_var")
        let out = batchNorm2d(x, weight: w, bias: b, runningMean: rm, runningVar: rv, training: mode == "train")
        expectClose(out, try f.tensor("out"), "bn out")
        backwardWith(out, try f.tensor("grad_out"))
        // The eval fixture's gradients were accumulated on top of the train fixture's (same
        // x, weight and bias tensors, no zero_grad in the generator): eval = train + own.
        // Checked: Σ grad_out(eval) + grad_bias(train) == grad_bias(eval) to 1e-6.
        func expected(_ name: String) throws -> Tensor {
            guard mode == "eval" else { return try f.tensor(name) }
            let t = try fixture("ops/batchnorm2d_train.safetensors")
            return Tensor(shape: try f.tensor(name).shape,
                          data: zip(try f.tensor(name).scalars, try t.tensor(name).scalars).map { $0 - $1 })
        }
        expectClose(x.grad, try expected("grad_x"), rtol: 1e-3, atol: 1e-4, "bn grad_x")
        expectClose(w.grad, try expected("grad_weight"), rtol: 1e-3, atol: 1e-4, "bn grad_weight")
        expectClose(b.grad, try expected("grad_bias"), rtol: 1e-3, atol: 1e-4, "bn grad_bias")
        if mode == "train" {
            expectClose(rm, try f.tensor("running_mean_after"), "running_mean")
            expectClose(rv, try f.tensor("running_var_after"), "running_var")
        }
    }

    @Test func layerNorm() throws {
        let f = try fixture("ops/layernorm.safetensors")
        let x = param(try f.tensor("x")), w = param(try f.tensor("weight")), b = param(try f.tensor("bias"))
        let out = Engine.layerNorm(x, weight: w, bias: b, eps: 1e-6)
        expectClose(out, try f.tensor("out"), "ln out")
        backwardWith(out, try f.tensor("grad_out"))
        expectClose(x.grad, try f.tensor("grad_x"), "ln grad_x")
        expectClose(w.grad, try f.tensor("grad_weight"), "ln grad_weight")
        expectClose(b.grad, try f.tensor("grad_bias"), "ln grad_bias")
    }

    /// The unary ops, each by the name of its fixture (`ops/<name>.safetensors`): the one list
    /// `unaryOp` runs over.
    static let unary: [String: (Tensor) -> Tensor] = [
        "relu": relu, "gelu": gelu, "sigmoid": sigmoid, "silu": silu, "softmax_lastdim": softmax,
        "global_avgpool": globalAvgPool, "maxpool_k3s2p1": { maxPool2d($0, kernel: 3, stride: 2, padding: 1) },
    ]

    @Test(arguments: OpsParityTests.unary.keys.sorted())
    func unaryOp(name: String) throws {
        let f = try fixture("ops/\(name).safetensors")
        let x = param(try f.tensor("x"))
        let out = Self.unary[name]!(x)
        expectClose(out, try f.tensor("out"), "\(name) out")
        backwardWith(out, try f.tensor("grad_out"))
        expectClose(x.grad, try f.tensor("grad_x"), "\(name) grad_x")
    }

    @Test(arguments: [("cross_entropy", Float(0)), ("cross_entropy_smooth0.1", Float(0.1))])
    func crossEntropy(name: String, smoothing: Float) throws {
        let f = try fixture("ops/\(name).safetensors")
        let logits = param(try f.tensor("logits"))
        let loss = Engine.crossEntropy(logits, labels: f["labels"]!.ints, labelSmoothing: smoothing)
        expectClose(loss, try f.tensor("loss"), "\(name) loss")
        loss.backward()
        expectClose(logits.grad, try f.tensor("grad_logits"), "\(name) grad")
    }

    @Test func softTargetCrossEntropy() throws {
        let f = try fixture("ops/soft_target_cross_entropy.safetensors")
        let logits = param(try f.tensor("logits"))
        let loss = Engine.softTargetCrossEntropy(logits, targets: try f.tensor("targets"))
        expectClose(loss, try f.tensor("loss"), "loss")
        loss.backward()
        expectClose(logits.grad, try f.tensor("grad_logits"), "grad")
    }

    @Test func distillation() throws {
        let f = try fixture("ops/kd_loss_T4.safetensors")
        let s = param(try f.tensor("student_logits"))
        let loss = distillationLoss(student: s, teacher: try f.tensor("teacher_logits"), temperature: 4)
        expectClose(loss, try f.tensor("loss"), "kd loss")
        loss.backward()
        expectClose(s.grad, try f.tensor("grad_student_logits"), "kd grad")
    }

    @Test func attention() throws {
        let f = try fixture("ops/attention_dim24_heads3.safetensors")
        let x = param(try f.tensor("x"))
        let qw = param(try f.tensor("param.qkv.weight")), qb = param(try f.tensor("param.qkv.bias"))
        let pw = param(try f.tensor("param.proj.weight")), pb = param(try f.tensor("param.proj.bias"))
        let out = multiHeadSelfAttention(x, heads: 3, qkvWeight: qw, qkvBias: qb, projWeight: pw, projBias: pb)
        expectClose(out, try f.tensor("out"), "attn out")
        backwardWith(out, try f.tensor("grad_out"))
        expectClose(x.grad, try f.tensor("grad_x"), "attn grad_x")
        expectClose(qw.grad, try f.tensor("grad.qkv.weight"), "grad qkv.weight")
        expectClose(qb.grad, try f.tensor("grad.qkv.bias"), "grad qkv.bias")
        expectClose(pw.grad, try f.tensor("grad.proj.weight"), "grad proj.weight")
        expectClose(pb.grad, try f.tensor("grad.proj.bias"), "grad proj.bias")
    }
}
