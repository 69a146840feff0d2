// The one thing Portico asks of RE2 that no Node binding offers: the program size Envoy checks against
// re2.max_program_size.error_level (100 by default) before it accepts a regex. Built by scripts/setup/re2.sh
// against the RE2 and Abseil sources the npm package `re2` vendors (a release close to Envoy's own), and
// loaded by src/lib/re2.ts. `measure(pattern)` returns {programSize} or {error} for the pattern compiled as
// Envoy 1.40 compiles it. Its program sizes are those of RE2's Latin-1 encoding, not of the default UTF-8 one:
// measured on Envoy itself (`/v[0-9]{1,200}/.*` is 408 there, 408 in Latin-1, 414 in UTF-8; `\pL{1,20}` is
// 163, 163 and 23883), and kept honest by the validation corpus (test/e2e/validation-corpus.test.ts).
#include <node_api.h>
#include <re2/re2.h>
#include <string>

static napi_value Measure(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], nullptr, 0, &len) != napi_ok) {
    napi_throw_type_error(env, nullptr, "pattern must be a string");
    return nullptr;
  }
  std::string pattern(len, '\0');
  napi_get_value_string_utf8(env, argv[0], pattern.data(), len + 1, &len);
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_encoding(re2::RE2::Options::EncodingLatin1);
  re2::RE2 re(pattern, options);
  napi_value out, v;
  napi_create_object(env, &out);
  if (!re.ok()) {
    napi_create_string_utf8(env, re.error().c_str(), re.error().size(), &v);
    napi_set_named_property(env, out, "error", v);
  } else {
    napi_create_int32(env, re.ProgramSize(), &v);
    napi_set_named_property(env, out, "programSize", v);
  }
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "measure", NAPI_AUTO_LENGTH, Measure, nullptr, &fn);
  napi_set_named_property(env, exports, "measure", fn);
  return exports;
}
