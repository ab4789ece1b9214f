using System.Runtime.InteropServices;

namespace DomainPlatform.LlamaCpp.Interop;

// Each native object is owned by exactly one SafeHandle, so a leaked managed wrapper is still freed
// by the finalizer and a handle in use by a native call cannot be released underneath it.

internal sealed class SafeLlamaModelHandle() : SafeHandle(nint.Zero, ownsHandle: true)
{
    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.llama_model_free(handle);
        return true;
    }
}

internal sealed class SafeLlamaContextHandle() : SafeHandle(nint.Zero, ownsHandle: true)
{
    private SafeLlamaModelHandle? _model;

    public override bool IsInvalid => handle == nint.Zero;

    /// <summary>A context reads its model until freed, so it holds a reference that keeps the model alive.</summary>
    public void HoldModel(SafeLlamaModelHandle model)
    {
        var added = false;
        model.DangerousAddRef(ref added);
        _model = model;
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.llama_free(handle);
        _model?.DangerousRelease();
        return true;
    }
}

internal sealed class SafeLlamaSamplerHandle() : SafeHandle(nint.Zero, ownsHandle: true)
{
    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.llama_sampler_free(handle);
        return true;
    }
}

/// <summary>
/// Keeps a SafeHandle from being released while raw pointers derived from it are in use
/// (vocab and memory pointers belong to their model and context). Throws ObjectDisposedException when already closed.
/// </summary>
internal readonly ref struct HandleLease
{
    private readonly SafeHandle _handle;

    public HandleLease(SafeHandle handle)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        _handle = handle;
    }

    public void Dispose() => _handle.DangerousRelease();
}
