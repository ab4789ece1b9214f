using System.Runtime.InteropServices;
using DomainPlatform.LlamaCpp.Gguf;

namespace DomainPlatform.LlamaCpp.Interop;

// The C API of libllama, libggml and libggml-base as declared in the pinned llama.h, ggml.h,
// ggml-backend.h and ggml-opt.h. Library names are resolved by LlamaNativeLibrary.
internal static unsafe partial class NativeMethods
{
    internal const string Llama = "llama";
    internal const string Ggml = "ggml";
    internal const string GgmlBase = "ggml-base";

    // ---- backend and devices (libggml) ----

    [LibraryImport(Ggml, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void ggml_backend_load_all_from_path(string? dirPath);

    [LibraryImport(Ggml)]
    internal static partial nuint ggml_backend_dev_count();

    [LibraryImport(Ggml)]
    internal static partial nint ggml_backend_dev_get(nuint index);

    [LibraryImport(Ggml)]
    internal static partial nint ggml_backend_dev_name(nint device);

    [LibraryImport(Ggml)]
    internal static partial nint ggml_backend_dev_description(nint device);

    [LibraryImport(Ggml)]
    internal static partial void ggml_backend_dev_memory(nint device, out nuint free, out nuint total);

    [LibraryImport(Ggml)]
    internal static partial GgmlBackendDeviceType ggml_backend_dev_type(nint device);

    [LibraryImport(Ggml)]
    internal static partial nuint ggml_backend_reg_count();

    // ---- ggml-base: type traits, tensors, optimizer datasets and results ----

    [LibraryImport(GgmlBase)]
    internal static partial long ggml_blck_size(GgmlType type);

    [LibraryImport(GgmlBase)]
    internal static partial nuint ggml_type_size(GgmlType type);

    [LibraryImport(GgmlBase)]
    internal static partial nint ggml_get_data(nint tensor);

    [LibraryImport(GgmlBase)]
    internal static partial nuint ggml_nbytes(nint tensor);

    [LibraryImport(GgmlBase)]
    internal static partial nint ggml_get_name(nint tensor);

    [LibraryImport(GgmlBase)]
    internal static partial nint ggml_opt_dataset_init(GgmlType typeData, GgmlType typeLabel, long neDatapoint, long neLabel, long ndata, long ndataShard);

    [LibraryImport(GgmlBase)]
    internal static partial void ggml_opt_dataset_free(nint dataset);

    [LibraryImport(GgmlBase)]
    internal static partial long ggml_opt_dataset_ndata(nint dataset);

    [LibraryImport(GgmlBase)]
    internal static partial nint ggml_opt_dataset_data(nint dataset);

    [LibraryImport(GgmlBase)]
    internal static partial nint ggml_opt_dataset_labels(nint dataset);

    [LibraryImport(GgmlBase)]
    internal static partial nint ggml_opt_result_init();

    [LibraryImport(GgmlBase)]
    internal static partial void ggml_opt_result_free(nint result);

    [LibraryImport(GgmlBase)]
    internal static partial void ggml_opt_result_reset(nint result);

    [LibraryImport(GgmlBase)]
    internal static partial void ggml_opt_result_ndata(nint result, out long ndata);

    [LibraryImport(GgmlBase)]
    internal static partial void ggml_opt_result_loss(nint result, out double loss, out double uncertainty);

    [LibraryImport(GgmlBase)]
    internal static partial void ggml_opt_result_accuracy(nint result, out double accuracy, out double uncertainty);

    [LibraryImport(GgmlBase)]
    internal static partial GgmlOptOptimizerParams ggml_opt_get_default_optimizer_params(nint userData);

    // ---- llama: lifecycle ----

    [LibraryImport(Llama)]
    internal static partial void llama_backend_init();

    [LibraryImport(Llama)]
    internal static partial nint llama_print_system_info();

    [LibraryImport(Llama)]
    internal static partial void llama_log_set(delegate* unmanaged[Cdecl]<GgmlLogLevel, nint, nint, void> callback, nint userData);

    [LibraryImport(Llama)]
    internal static partial LlamaModelParams llama_model_default_params();

    [LibraryImport(Llama)]
    internal static partial LlamaContextParams llama_context_default_params();

    [LibraryImport(Llama)]
    internal static partial LlamaSamplerChainParams llama_sampler_chain_default_params();

    [LibraryImport(Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool llama_supports_gpu_offload();

    [LibraryImport(Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool llama_supports_mmap();

    [LibraryImport(Llama)]
    internal static partial nuint llama_max_devices();

    [LibraryImport(Llama)]
    internal static partial nuint llama_max_parallel_sequences();

    // ---- model ----

    [LibraryImport(Llama, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeLlamaModelHandle llama_model_load_from_file(string path, LlamaModelParams parameters);

    [LibraryImport(Llama, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void llama_model_save_to_file(SafeLlamaModelHandle model, string path);

    [LibraryImport(Llama)]
    internal static partial void llama_model_free(nint model);

    [LibraryImport(Llama)]
    internal static partial nint llama_model_get_vocab(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    internal static partial int llama_model_n_ctx_train(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    internal static partial int llama_model_n_embd(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    internal static partial int llama_model_n_embd_out(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    internal static partial int llama_model_n_layer(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    internal static partial int llama_model_n_head(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    internal static partial int llama_model_n_head_kv(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    internal static partial ulong llama_model_size(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    internal static partial ulong llama_model_n_params(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    internal static partial int llama_model_desc(SafeLlamaModelHandle model, byte* buffer, nuint bufferSize);

    [LibraryImport(Llama, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int llama_model_meta_val_str(SafeLlamaModelHandle model, string key, byte* buffer, nuint bufferSize);

    [LibraryImport(Llama)]
    internal static partial int llama_model_meta_count(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    internal static partial int llama_model_meta_key_by_index(SafeLlamaModelHandle model, int index, byte* buffer, nuint bufferSize);

    [LibraryImport(Llama)]
    internal static partial int llama_model_meta_val_str_by_index(SafeLlamaModelHandle model, int index, byte* buffer, nuint bufferSize);

    [LibraryImport(Llama)]
    internal static partial nint llama_model_chat_template(SafeLlamaModelHandle model, byte* name);

    // ---- vocab (the vocab pointer lives as long as its model) ----

    [LibraryImport(Llama)]
    internal static partial int llama_vocab_n_tokens(nint vocab);

    [LibraryImport(Llama)]
    internal static partial int llama_vocab_type(nint vocab);

    [LibraryImport(Llama)]
    internal static partial int llama_vocab_bos(nint vocab);

    [LibraryImport(Llama)]
    internal static partial int llama_vocab_eos(nint vocab);

    [LibraryImport(Llama)]
    internal static partial int llama_vocab_eot(nint vocab);

    [LibraryImport(Llama)]
    internal static partial int llama_vocab_nl(nint vocab);

    [LibraryImport(Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool llama_vocab_is_eog(nint vocab, int token);

    [LibraryImport(Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool llama_vocab_is_control(nint vocab, int token);

    [LibraryImport(Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool llama_vocab_get_add_bos(nint vocab);

    [LibraryImport(Llama)]
    internal static partial nint llama_vocab_get_text(nint vocab, int token);

    [LibraryImport(Llama)]
    internal static partial int llama_tokenize(nint vocab, byte* text, int textLength, int* tokens, int maxTokens,
        [MarshalAs(UnmanagedType.U1)] bool addSpecial, [MarshalAs(UnmanagedType.U1)] bool parseSpecial);

    [LibraryImport(Llama)]
    internal static partial int llama_token_to_piece(nint vocab, int token, byte* buffer, int length, int lstrip,
        [MarshalAs(UnmanagedType.U1)] bool special);

    [LibraryImport(Llama)]
    internal static partial int llama_detokenize(nint vocab, int* tokens, int tokenCount, byte* text, int maxLength,
        [MarshalAs(UnmanagedType.U1)] bool removeSpecial, [MarshalAs(UnmanagedType.U1)] bool unparseSpecial);

    [LibraryImport(Llama)]
    internal static partial int llama_chat_apply_template(byte* template, LlamaChatMessageNative* messages, nuint messageCount,
        [MarshalAs(UnmanagedType.U1)] bool addAssistant, byte* buffer, int length);

    // ---- context ----

    [LibraryImport(Llama)]
    internal static partial SafeLlamaContextHandle llama_init_from_model(SafeLlamaModelHandle model, LlamaContextParams parameters);

    [LibraryImport(Llama)]
    internal static partial void llama_free(nint context);

    [LibraryImport(Llama)]
    internal static partial uint llama_n_ctx(SafeLlamaContextHandle context);

    [LibraryImport(Llama)]
    internal static partial uint llama_n_ctx_seq(SafeLlamaContextHandle context);

    [LibraryImport(Llama)]
    internal static partial uint llama_n_batch(SafeLlamaContextHandle context);

    [LibraryImport(Llama)]
    internal static partial uint llama_n_ubatch(SafeLlamaContextHandle context);

    [LibraryImport(Llama)]
    internal static partial uint llama_n_seq_max(SafeLlamaContextHandle context);

    [LibraryImport(Llama)]
    internal static partial int llama_n_threads(SafeLlamaContextHandle context);

    [LibraryImport(Llama)]
    internal static partial int llama_n_threads_batch(SafeLlamaContextHandle context);

    [LibraryImport(Llama)]
    internal static partial int llama_decode(SafeLlamaContextHandle context, LlamaBatchNative batch);

    [LibraryImport(Llama)]
    internal static partial float* llama_get_logits_ith(SafeLlamaContextHandle context, int index);

    [LibraryImport(Llama)]
    internal static partial LlamaPoolingType llama_pooling_type(SafeLlamaContextHandle context);

    // NULL when the context does not pool (pooling NONE) or the sequence was not in the last decode.
    [LibraryImport(Llama)]
    internal static partial float* llama_get_embeddings_seq(SafeLlamaContextHandle context, int seqId);

    [LibraryImport(Llama)]
    internal static partial void llama_synchronize(SafeLlamaContextHandle context);

    [LibraryImport(Llama)]
    internal static partial LlamaPerfContextData llama_perf_context(SafeLlamaContextHandle context);

    [LibraryImport(Llama)]
    internal static partial nint llama_get_memory(SafeLlamaContextHandle context);

    [LibraryImport(Llama)]
    internal static partial void llama_memory_clear(nint memory, [MarshalAs(UnmanagedType.U1)] bool data);

    [LibraryImport(Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool llama_memory_seq_rm(nint memory, int seqId, int p0, int p1);

    [LibraryImport(Llama)]
    internal static partial void llama_memory_seq_cp(nint memory, int seqIdSource, int seqIdDestination, int p0, int p1);

    [LibraryImport(Llama)]
    internal static partial void llama_memory_seq_keep(nint memory, int seqId);

    [LibraryImport(Llama)]
    internal static partial void llama_memory_seq_add(nint memory, int seqId, int p0, int p1, int delta);

    [LibraryImport(Llama)]
    internal static partial int llama_memory_seq_pos_min(nint memory, int seqId);

    [LibraryImport(Llama)]
    internal static partial int llama_memory_seq_pos_max(nint memory, int seqId);

    // ---- batch ----

    [LibraryImport(Llama)]
    internal static partial LlamaBatchNative llama_batch_init(int nTokens, int embd, int nSeqMax);

    [LibraryImport(Llama)]
    internal static partial void llama_batch_free(LlamaBatchNative batch);

    // ---- samplers ----

    [LibraryImport(Llama)]
    internal static partial SafeLlamaSamplerHandle llama_sampler_chain_init(LlamaSamplerChainParams parameters);

    // The chain takes ownership of the added sampler.
    [LibraryImport(Llama)]
    internal static partial void llama_sampler_chain_add(SafeLlamaSamplerHandle chain, nint sampler);

    [LibraryImport(Llama)]
    internal static partial int llama_sampler_chain_n(SafeLlamaSamplerHandle chain);

    [LibraryImport(Llama)]
    internal static partial nint llama_sampler_chain_get(SafeLlamaSamplerHandle chain, int index);

    [LibraryImport(Llama)]
    internal static partial nint llama_sampler_name(nint sampler);

    [LibraryImport(Llama)]
    internal static partial void llama_sampler_free(nint sampler);

    [LibraryImport(Llama)]
    internal static partial void llama_sampler_accept(SafeLlamaSamplerHandle sampler, int token);

    [LibraryImport(Llama)]
    internal static partial void llama_sampler_apply(SafeLlamaSamplerHandle sampler, LlamaTokenDataArray* candidates);

    [LibraryImport(Llama)]
    internal static partial void llama_sampler_reset(SafeLlamaSamplerHandle sampler);

    [LibraryImport(Llama)]
    internal static partial int llama_sampler_sample(SafeLlamaSamplerHandle sampler, SafeLlamaContextHandle context, int index);

    [LibraryImport(Llama)]
    internal static partial uint llama_sampler_get_seed(SafeLlamaSamplerHandle sampler);

    [LibraryImport(Llama)]
    internal static partial nint llama_sampler_init_greedy();

    [LibraryImport(Llama)]
    internal static partial nint llama_sampler_init_dist(uint seed);

    [LibraryImport(Llama)]
    internal static partial nint llama_sampler_init_top_k(int k);

    [LibraryImport(Llama)]
    internal static partial nint llama_sampler_init_top_p(float p, nuint minKeep);

    [LibraryImport(Llama)]
    internal static partial nint llama_sampler_init_min_p(float p, nuint minKeep);

    [LibraryImport(Llama)]
    internal static partial nint llama_sampler_init_temp(float temperature);

    [LibraryImport(Llama)]
    internal static partial nint llama_sampler_init_penalties(int nVocab, int penaltyLastN, float penaltyRepeat, float penaltyFrequency, float penaltyPresent);

    [LibraryImport(Llama)]
    internal static partial nint llama_sampler_init_logit_bias(int nVocab, int nLogitBias, LlamaLogitBias* logitBias);

    // ---- training (llama_opt_*) ----

    [LibraryImport(Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool llama_opt_param_filter_all(nint tensor, nint userData);

    [LibraryImport(Llama)]
    internal static partial void llama_opt_init(SafeLlamaContextHandle context, SafeLlamaModelHandle model, LlamaOptParams parameters);

    [LibraryImport(Llama)]
    internal static partial void llama_opt_epoch(SafeLlamaContextHandle context, nint dataset, nint resultTrain, nint resultEval,
        long idataSplit, nint callbackTrain, nint callbackEval);
}
