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
    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.llama_free(handle);
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
