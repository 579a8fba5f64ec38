/* Unit tests for demangle(): real C++, Rust legacy and Rust v0 symbols with
 * the exact text c++filt and rustc-demangle's alternate form ("{:#}") give
 * for them, clone suffixes, and malformed input, which must give NULL. The
 * Rust symbols come from binaries built by rustc 1.95 (-C
 * symbol-mangling-version=legacy and v0, const generics on nightly features);
 * the expected strings were produced by rustc's own rustc-demangle crate. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../analysis/demangle.h"

struct pair {
	const char *mangled;
	const char *expect;     /* NULL: not demangled */
};

static const struct pair cxx_pairs[] = {
	{ "_ZN4llvm3MD5C1Ev",
	  "llvm::MD5::MD5()" },
	{ "_ZNKSt6locale4nameEv",
	  "std::locale::name() const" },
	{ "_Znam",
	  "operator new[](unsigned long)" },
	{ "_ZNKSt4hashIeEclEe",
	  "std::hash<long double>::operator()(long double) const" },
	{ "_ZNKSt6localeeqERKS_",
	  "std::locale::operator==(std::locale const&) const" },
	{ "_ZN4llvm5APIntlSERKS0_",
	  "llvm::APInt::operator<<=(llvm::APInt const&)" },
	{ "_ZTVSt5ctypeIcE",
	  "vtable for std::ctype<char>" },
	{ "_ZTIm",
	  "typeinfo for unsigned long" },
	{ "_ZGVNSt7collateIcE2idE",
	  "guard variable for std::collate<char>::id" },
	{ "_ZN12_GLOBAL__N_16name_cE",
	  "(anonymous namespace)::name_c" },
	{ "_Z10AllowFilesB5cxx11",
	  "AllowFiles[abi:cxx11]" },
	{ "_ZN4llvm5RegexC1EOS0_",
	  "llvm::Regex::Regex(llvm::Regex&&)" },
	{ "_ZSt13set_terminatePFvvE",
	  "std::set_terminate(void (*)())" },
	{ "_ZSt24__throw_out_of_range_fmtPKcz",
	  "std::__throw_out_of_range_fmt(char const*, ...)" },
	{ "_ZNK4llvm2cl10SubCommandcvbEv",
	  "llvm::cl::SubCommand::operator bool() const" },
	{ "_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEC1Ev",
	  "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::basic_string()" },
	{ "_ZNSsC1IPcEET_S1_RKSaIcE",
	  "std::basic_string<char, std::char_traits<char>, std::allocator<char> >::basic_string<char*>(char*, char*, std::allocator<char> const&)" },
	{ "_ZNSt6vectorIcSaIcEE17_M_default_appendEm",
	  "std::vector<char, std::allocator<char> >::_M_default_append(unsigned long)" },
	{ "_Z5countRKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE",
	  "count(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&)" },
	{ "_ZN3geo2SqD0Ev",
	  "geo::Sq::~Sq()" },
	{ "_ZNK3geo2Sq4areaEv",
	  "geo::Sq::area() const" },
	{ "_ZN3geo8sum_dotsIdEET_RKSt6vectorINS_3VecIS1_EESaIS4_EE",
	  "double geo::sum_dots<double>(std::vector<geo::Vec<double>, std::allocator<geo::Vec<double> > > const&)" },
	{ "_ZZ4mainENKUliiE_clEii",
	  "main::{lambda(int, int)#1}::operator()(int, int) const" },
	{ "_ZNSt6vectorIN3geo3VecIdEESaIS2_EE17_M_realloc_insertIJS2_EEEvN9__gnu_cxx17__normal_iteratorIPS2_S4_EEDpOT_",
	  "void std::vector<geo::Vec<double>, std::allocator<geo::Vec<double> > >::_M_realloc_insert<geo::Vec<double> >(__gnu_cxx::__normal_iterator<geo::Vec<double>*, std::vector<geo::Vec<double>, std::allocator<geo::Vec<double> > > >, geo::Vec<double>&&)" },
	{ "_ZThn16_NSdD0Ev",
	  "non-virtual thunk to std::basic_iostream<char, std::char_traits<char> >::~basic_iostream()" },
	{ "_ZdlPvm",
	  "operator delete(void*, unsigned long)" },
	{ "_ZN3foo3barEi",
	  "foo::bar(int)" },
};

static const struct pair rust_legacy_pairs[] = {
	{ "_ZN1t4main17h0123456789abcdefE",
	  "t::main" },
	{ "_ZN4core3ptr42drop_in_place$LT$alloc..string..String$GT$17h3922ad007cffa5fcE",
	  "core::ptr::drop_in_place<alloc::string::String>" },
	{ "_ZN32_$LT$u32$u20$as$u20$feat..Tr$GT$2go17h7770db3f0f3428f3E",
	  "<u32 as feat::Tr>::go" },
	{ "_ZN1t4main28_$u7b$$u7b$closure$u7d$$u7d$17h930d06188b79a6b8E",
	  "t::main::{{closure}}" },
	{ "_ZN1t21na$uef$ve_$ufc$nicode17h0236ac160477450eE",
	  "t::naïve_ünicode" },
	{ "_ZN4feat24_$ufc$n$uef$c$uf6$d$ue9$3Typ10m$ue9$thod17hbf38d1178f8a876aE",
	  "feat::ünïcödé::Typ::méthod" },
	{ "_ZN4core3ptr7mut_ptr31_$LT$impl$u20$$BP$mut$u20$T$GT$7is_null17h2d09b00d34362b0eE",
	  "core::ptr::mut_ptr::<impl *mut T>::is_null" },
	{ "_ZN54_$LT$$LP$$RP$$u20$as$u20$std..process..Termination$GT$6report17h2a5efb563cbc6a4aE",
	  "<() as std::process::Termination>::report" },
	{ "_ZN3std11collections4hash3map20HashMap$LT$K$C$V$GT$3new17h6816108c2f3471f2E",
	  "std::collections::hash::map::HashMap<K,V>::new" },
	{ "_ZN4core5slice29_$LT$impl$u20$$u5b$T$u5d$$GT$4iter17h9d0a03ac332e1496E",
	  "core::slice::<impl [T]>::iter" },
	{ "_ZN4core3ptr137drop_in_place$LT$alloc..boxed..Box$LT$dyn$u20$feat..Tr$u2b$Out$u20$$u3d$$u20$$RF$u8$u2b$core..marker..Sync$u2b$core..marker..Send$GT$$GT$17h8b08017224e45f9aE",
	  "core::ptr::drop_in_place<alloc::boxed::Box<dyn feat::Tr+Out = &u8+core::marker::Sync+core::marker::Send>>" },
	{ "_ZN3foo6a$SP$b17h0123456789abcdefE",
	  "foo::a@b" },
	{ "_ZN3foo10$u41$x$u1$17h0123456789abcdefE",
	  "foo::Ax$u1$" },
	{ "_ZN3foo6a$ZZ$b17h0123456789abcdefE",
	  "foo::a$ZZ$b" },
	{ "_ZN3foo10_$LT$a$GT$17h0123456789abcdefE",
	  "foo::<a>" },
	{ "_ZN3foo17h0123456789abcdefE",
	  "foo" },
};

static const struct pair rust_v0_pairs[] = {
	{ "_RNvCs1234_7mycrate3foo",
	  "mycrate::foo" },
	{ "_RNvCs1234_7mycrate3fooCsabc_5other",
	  "mycrate::foo" },
	{ "_RNCNvCsjMaewn57Afh_1t4main0B3_",
	  "t::main::{closure#0}" },
	{ "_RNCNvCsjMaewn57Afh_1t4mains_0B3_",
	  "t::main::{closure#1}" },
	{ "_RNSNvMs8_NtCs8NwYtU1Mohg_4core3numo15overflowing_div5reify",
	  "<u128>::overflowing_div::{shim:reify#0}" },
	{ "_RNSNvYNCNvCsjMaewn57Afh_1t4main0INtNtNtCsgEmfK2I1SDS_4core3ops8function6FnOnceuE9call_once6vtableB8_",
	  "<t::main::{closure#0} as core::ops::function::FnOnce<()>>::call_once::{shim:vtable#0}" },
	{ "_RNvYFEuINtNtNtCsgEmfK2I1SDS_4core3ops8function6FnOnceuE9call_onceCs3JpXfVvpfaM_4feat",
	  "<fn() as core::ops::function::FnOnce<()>>::call_once" },
	{ "_RNvYNtNtNtNtCsjrHSEGnQ3l9_3std3sys5stdio4unix6StderrNtNtBa_2io5Write9write_fmtBa_",
	  "<std::sys::stdio::unix::Stderr as std::io::Write>::write_fmt" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyDNtB2_2Trp3OuthEL_EB2_",
	  "feat::ty::<dyn feat::Tr<Out = u8>>" },
	{ "_RNvXs1g_NtCs8NwYtU1Mohg_4core3fmtRDNtB6_5DebugEL_Bx_3fmtB8_",
	  "<&dyn core::fmt::Debug as core::fmt::Debug>::fmt" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyFG0_RL1_hQL0_tERL1_hEB2_",
	  "feat::ty::<for<'a, 'b> fn(&'a u8, &'b mut u16) -> &'a u8>" },
	{ "_RINvCs3JpXfVvpfaM_4feat3genINtNtCslNYArtu3iFV_5alloc3vec3VechEFG_RL0_hEuEB2_",
	  "feat::gen::<alloc::vec::Vec<u8>, for<'a> fn(&'a u8)>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyFUKClvElEB2_",
	  "feat::ty::<unsafe extern \"C\" fn(i32, ...) -> i32>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyFK6systemEuEB2_",
	  "feat::ty::<extern \"system\" fn()>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyFK8C_unwindEzEB2_",
	  "feat::ty::<extern \"C-unwind\" fn() -> !>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyAAfj4_j2_EB2_",
	  "feat::ty::<[[f32; 4]; 2]>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyTaTtAmj0_EEEB2_",
	  "feat::ty::<(i8, (u16, [u32; 0]))>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyShEB2_",
	  "feat::ty::<[u8]>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyThEEB2_",
	  "feat::ty::<(u8,)>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyuEB2_",
	  "feat::ty::<()>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyOSTaslxiEEB2_",
	  "feat::ty::<*mut [(i8, i16, i32, i64, isize)]>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyPeEB2_",
	  "feat::ty::<*const str>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyQRcEB2_",
	  "feat::ty::<&mut &char>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyFfdnoEiEB2_",
	  "feat::ty::<fn(f32, f64, i128, u128) -> isize>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyFEFhEFEuEB2_",
	  "feat::ty::<fn() -> fn(u8) -> fn()>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyDG_INtNtNtCsgEmfK2I1SDS_4core3ops8function2FnTRL0_hEEp6OutputRL0_hEL_EB2_",
	  "feat::ty::<dyn for<'a> core::ops::function::Fn<(&'a u8,), Output = &'a u8>>" },
	{ "_RINvCs3JpXfVvpfaM_4feat2tyDNtNtNtNtCsgEmfK2I1SDS_4core4iter6traits8iterator8Iteratorp4ItemThcENtNtBx_6marker4SyncNtB1w_4SendEL_EB2_",
	  "feat::ty::<dyn core::iter::traits::iterator::Iterator<Item = (u8, char)> + core::marker::Sync + core::marker::Send>" },
	{ "_RNvXsv_NtCslNYArtu3iFV_5alloc5boxedINtB5_3BoxDINtNtNtCsgEmfK2I1SDS_4core3ops8function2FnuEp6OutputjEL_EIBJ_uE4callCsjMaewn57Afh_1t",
	  "<alloc::boxed::Box<dyn core::ops::function::Fn<(), Output = usize>> as core::ops::function::Fn<()>>::call" },
	{ "_RINvCs3JpXfVvpfaM_4feat6k_boolKb1_EB2_",
	  "feat::k_bool::<true>" },
	{ "_RINvCs3JpXfVvpfaM_4feat5k_intKxn5_EB2_",
	  "feat::k_int::<-5>" },
	{ "_RINvCs3JpXfVvpfaM_4feat5k_intKx7fffffffffffffff_EB2_",
	  "feat::k_int::<9223372036854775807>" },
	{ "_RINvCs3JpXfVvpfaM_4feat3k_uKoffffffffffffffffffffffffffffffff_EB2_",
	  "feat::k_u::<0xffffffffffffffffffffffffffffffff>" },
	{ "_RINvCs3JpXfVvpfaM_4feat6k_charKc27_EB2_",
	  "feat::k_char::<'\\''>" },
	{ "_RINvCs3JpXfVvpfaM_4feat6k_charKce4_EB2_",
	  "feat::k_char::<'ä'>" },
	{ "_RINvCs3JpXfVvpfaM_4feat5k_strKRe6869227468657265270a_EB2_",
	  "feat::k_str::<\"hi\\\"there'\\n\">" },
	{ "_RINvCs3JpXfVvpfaM_4feat5k_strKRec3bc6ec3af_EB2_",
	  "feat::k_str::<\"ünï\">" },
	{ "_RINvCs3JpXfVvpfaM_4feat4k_ptKVNtB2_2PtS1xln1_1yh2_EEB2_",
	  "feat::k_pt::<{feat::Pt { x: -1, y: 2 }}>" },
	{ "_RINvCs3JpXfVvpfaM_4feat4k_enKVNtNtB2_2En1AUEB2_",
	  "feat::k_en::<{feat::En::A}>" },
	{ "_RINvCs3JpXfVvpfaM_4feat4k_enKVNtNtB2_2En1BTh3_b1_EEB2_",
	  "feat::k_en::<{feat::En::B(3, true)}>" },
	{ "_RINvCs3JpXfVvpfaM_4feat4k_enKVNtNtB2_2En1CS1fc7a_EEB2_",
	  "feat::k_en::<{feat::En::C { f: 'z' }}>" },
	{ "_RINvCs3JpXfVvpfaM_4feat5k_arrKAh1_h2_h3_EEB2_",
	  "feat::k_arr::<{[1, 2, 3]}>" },
	{ "_RINvCs3JpXfVvpfaM_4feat5k_tupKTh4_b0_EEB2_",
	  "feat::k_tup::<{(4, false)}>" },
	{ "_RINvCs3JpXfVvpfaM_4feat5k_refKRh5_EB2_",
	  "feat::k_ref::<{&5}>" },
	{ "_RNvCsjMaewn57Afh_1tu17nave_nicode_edb6o",
	  "t::naïve_ünicode" },
	{ "_RNvNtCs3JpXfVvpfaM_4featu13ncd_dma1a7bzbu7fnc_hoa",
	  "feat::ünïcödé::fünc" },
	{ "_RNvMNtCs3JpXfVvpfaM_4featu13ncd_dma1a7bzbNtB2_3Typu9mthod_bsa",
	  "<feat::ünïcödé::Typ>::méthod" },
	{ "_RNvMNtCsgEmfK2I1SDS_4core3stre9from_utf8",
	  "<str>::from_utf8" },
	{ "_RNvXCs3JpXfVvpfaM_4featmNtB2_2Tr2go",
	  "<u32 as feat::Tr>::go" },
	{ "_RNvMs_Cs3JpXfVvpfaM_4featINtB4_1WRhE3getB4_",
	  "<feat::W<&u8>>::get" },
	{ "_RNvNvMs0_Cs9Gga4UosLDO_6thorinINtB7_12DwarfPackagepE6finish10___CALLSITE",
	  "<thorin::DwarfPackage<_>>::finish::__CALLSITE" },
	{ "_RNvXs0_NtCseQVuubCcFDg_12simd_adler324hashAhj0_NtB7_11Adler32Hash4hash",
	  "<[u8; 0] as simd_adler32::Adler32Hash>::hash" },
	{ "_RNvMs1_NtNtCsgEmfK2I1SDS_4core3ptr9const_ptrPSy3lenCs3JpXfVvpfaM_4feat",
	  "<*const [u64]>::len" },
	{ "_RINvMNtNtCsgEmfK2I1SDS_4core3fmt2rtNtB3_8Argument11new_displaybECsjMaewn57Afh_1t",
	  "<core::fmt::rt::Argument>::new_display::<bool>" },
	{ "_RINvMs6_NtCsgvbsrvnw3yD_9hashbrown3rawINtB6_8RawTableTNtNtCslNYArtu3iFV_5alloc6string6StringINtNtBU_3vec3VecTcnEEEE14reserve_rehashNCINvNtB8_3map11make_hasherBQ_B1s_NtNtNtCsjrHSEGnQ3l9_3std4hash6random11RandomStateE0ECsjMaewn57Afh_1t",
	  "<hashbrown::raw::RawTable<(alloc::string::String, alloc::vec::Vec<(char, i128)>)>>::reserve_rehash::<hashbrown::map::make_hasher<alloc::string::String, alloc::vec::Vec<(char, i128)>, std::hash::random::RandomState>::{closure#0}>" },
	{ "_RINvCs1234_7mycrate3fooKj0_Kjffff_Kc41_Kc5c_Kc0_EB2_",
	  "mycrate::foo::<0, 65535, 'A', '\\\\', '\\0'>" },
	{ "_RINvCsa_1a1fKpE",
	  "a::f::<_>" },
	{ "_RINvCsa_1a1fKa7f_Kan80_E",
	  "a::f::<127, -128>" },
	{ "_RINvCsa_1a1fKRQh1_E",
	  "a::f::<{&&mut 1}>" },
	{ "_RINvCsa_1a1fKo100000000000000000_Ktff_E",
	  "a::f::<0x100000000000000000, 255>" },
	{ "_RINvCsa_1a1fKAh1_h2_EKTEKTh1_EKTh1_b0_EE",
	  "a::f::<{[1, 2]}, {()}, {(1,)}, {(1, false)}>" },
	{ "_RINvCsa_1a1fKc1f600_Kc7f_Kc22_Kc27_E",
	  "a::f::<'😀', '\\u{7f}', '\"', '\\''>" },
	{ "_RNCNvCsa_1a1fs0_3fooB2_",
	  "a::f::{closure:foo#2}" },
	{ "_RNvMCsa_1aINtB2_1WINtB2_1WNtB2_1XEE1f",
	  "<a::W<a::W<a::X>>>::f" },
	{ "_RIIIC1aB2_B2_EB1_B1_EB0_B0_E",
	  "a::<a, a>::<a<a, a>, a<a, a>>::<a<a, a><a<a, a>, a<a, a>>, a<a, a><a<a, a>, a<a, a>>>" },
};

/* Clone suffixes as c++filt shows them; ThinLTO's ".llvm.<hash>" goes. */
static const struct pair suffix_pairs[] = {
	{ "_ZN3foo3barEv.cold", "foo::bar() [clone .cold]" },
	{ "_ZN3foo3barEv.isra.0.cold", "foo::bar() [clone .isra.0] [clone .cold]" },
	{ "_ZN3foo3barEv.constprop.0.isra.0", "foo::bar() [clone .constprop.0] [clone .isra.0]" },
	{ "_ZN3foo3barEv.llvm.99", "foo::bar()" },
	{ "_ZN3foo3barEv.llvm.4823467813.cold", "foo::bar() [clone .cold]" },
	{ "_RNvCs1234_7mycrate3foo.cold", "mycrate::foo [clone .cold]" },
	{ "_RNvCs1234_7mycrate3foo.isra.0.cold", "mycrate::foo [clone .isra.0] [clone .cold]" },
	{ "_RNvCs1234_7mycrate3foo.llvm.5540057329546874339", "mycrate::foo" },
	{ "_RNvCs1234_7mycrate3foo.llvm.15455393771290841389.warm", "mycrate::foo [clone .warm]" },
	{ "_RNvCs1234_7mycrate3foo.weird-suffix", "mycrate::foo.weird-suffix" },
	{ "_ZN4core3ptr13drop_in_place17h0123456789abcdefE.llvm.42", "core::ptr::drop_in_place" },
	{ "_ZN4core3ptr13drop_in_place17h0123456789abcdefE.cold.1",
	  "core::ptr::drop_in_place [clone .cold.1]" },
	{ "_RNvCs1234_7mycrate3foo$weird", NULL },
	{ "_RNvCs1234_7mycrate3foo.bad\x01", NULL },
};

/* Not mangled, or not a scheme demangle() handles. */
static const struct pair unmangled_pairs[] = {
	{ "", NULL },
	{ "main", NULL },
	{ "foo.cold", NULL },
	{ "i", NULL },                  /* a mangled type, not a symbol */
	{ "_Z", NULL },
	{ "_R", NULL },
	{ "_Rx", NULL },
	{ "_R0NvC1a1b", NULL },         /* encoding version: none but 0 exists */
	{ "_ZN3foo17h0123456789abcdef", NULL },
	{ "_RNvC1a1b\xc3\xa9", NULL },  /* non-ASCII */
};

/* Malformed Rust v0: truncations, bad backrefs, bad values. */
static const struct pair malformed_pairs[] = {
	{ "_RNvB_3foo", NULL },                 /* backref to itself: endless */
	{ "_RNvB5_3foo", NULL },                /* backref forward */
	{ "_RNvC3foo3ba", NULL },               /* identifier past the end */
	{ "_RNvC3foo99999999999999999999999", NULL },
	{ "_RINvCsa_1a1fKb2_E", NULL },         /* bool 2 */
	{ "_RINvCsa_1a1fKcd800_E", NULL },      /* surrogate char */
	{ "_RINvCsa_1a1fKc110000_E", NULL },    /* beyond Unicode */
	{ "_RINvCsa_1a1fKRe6_E", NULL },        /* odd hex in str */
	{ "_RINvCsa_1a1fKRec328_E", NULL },     /* bad UTF-8 */
	{ "_RINvCsa_1a1fKRec081_E", NULL },     /* overlong UTF-8 */
	{ "_RINvCsa_1a1fKjFF_E", NULL },        /* uppercase hex */
	{ "_RINvCsa_1a1fRL1_hE", NULL },        /* lifetime bound by nothing */
	{ "_RINvCsa_1a1fFKu3_abEuE", NULL },    /* punycode ABI */
	{ "_RNvCsa_1azzzzzzzzzzzz_3foo", NULL },
	{ "_RNvCs" "zzzzzzzzzzzzzzzzzzzzzzzzzz_1a1b", NULL },   /* base-62 overflow */
	{ "_RNvC1a1b\x01", NULL },
	{ "_ZN3foo4a.b.17h0123456789abcdeE", NULL },            /* 15-digit hash */
};

static void check_pairs(const struct pair *p, size_t n)
{
	struct arena a = { 0 };
	for (size_t i = 0; i < n; i++) {
		const char *got = demangle(p[i].mangled, &a);
		if (!p[i].expect && !got)
			continue;
		if (!got || !p[i].expect || strcmp(got, p[i].expect))
			fail_msg("demangle(\"%s\")\n   got: %s\n  want: %s", p[i].mangled,
				 got ? got : "NULL", p[i].expect ? p[i].expect : "NULL");
	}
	arena_release(&a);
}

#define CHECK(pairs) check_pairs(pairs, sizeof(pairs) / sizeof(pairs[0]))

static void test_cxx(void **state) { CHECK(cxx_pairs); }
static void test_rust_legacy(void **state) { CHECK(rust_legacy_pairs); }
static void test_rust_v0(void **state) { CHECK(rust_v0_pairs); }
static void test_suffixes(void **state) { CHECK(suffix_pairs); }
static void test_unmangled(void **state) { CHECK(unmangled_pairs); }
static void test_malformed(void **state) { CHECK(malformed_pairs); }

static void test_null_args(void **state)
{
	struct arena a = { 0 };
	assert_null(demangle(NULL, &a));
	assert_null(demangle("_RNvC1a1b", NULL));
	assert_int_equal(a.used_total, 0);
}

/* Every proper prefix of a v0 symbol is invalid, except the one ending
 * where the instantiating crate starts, which prints the same text. */
static void test_truncated_v0(void **state)
{
	static const struct {
		const char *sym;
		size_t crate_len;       /* length of the instantiating crate */
	} syms[] = {
		{ "_RNvMNtCs3JpXfVvpfaM_4featu13ncd_dma1a7bzbNtB2_3Typu9mthod_bsa", 0 },
		{ "_RINvCsa_1a1fKAh1_h2_EKTEKTh1_EKTh1_b0_EE", 0 },
		{ "_RINvCs3JpXfVvpfaM_4feat2tyDG_INtNtNtCsgEmfK2I1SDS_4core3ops8function2FnTRL0_hEEp6OutputRL0_hEL_EB2_", 3 },
		{ "_RINvCs3JpXfVvpfaM_4feat4k_enKVNtNtB2_2En1CS1fc7a_EEB2_", 3 },
		{ "_RINvCs3JpXfVvpfaM_4feat5k_strKRec3bc6ec3af_EB2_", 3 },
		{ "_RINvCs3JpXfVvpfaM_4feat2tyFUKClvElEB2_", 3 },
	};
	struct arena a = { 0 };
	char buf[256];
	for (size_t k = 0; k < sizeof(syms) / sizeof(syms[0]); k++) {
		const char *full = demangle(syms[k].sym, &a);
		size_t n = strlen(syms[k].sym);
		assert_non_null(full);
		assert_true(n < sizeof(buf));
		for (size_t len = 0; len < n; len++) {
			memcpy(buf, syms[k].sym, len);
			buf[len] = 0;
			const char *got = demangle(buf, &a);
			if (syms[k].crate_len && len == n - syms[k].crate_len) {
				assert_non_null(got);
				assert_string_equal(got, full);
			} else if (got) {
				fail_msg("prefix \"%s\" gave \"%s\"", buf, got);
			}
		}
	}
	arena_release(&a);
}

/* A legacy symbol cut anywhere is neither Rust nor valid C++. */
static void test_truncated_legacy(void **state)
{
	static const char sym[] = "_ZN4core3ptr137drop_in_place$LT$alloc..boxed..Box$LT$dyn$u20$"
		"feat..Tr$u2b$Out$u20$$u3d$$u20$$RF$u8$u2b$core..marker..Sync$u2b$core..marker.."
		"Send$GT$$GT$17h8b08017224e45f9aE";
	struct arena a = { 0 };
	char buf[sizeof(sym)];
	for (size_t len = 0; len < sizeof(sym) - 1; len++) {
		memcpy(buf, sym, len);
		buf[len] = 0;
		const char *got = demangle(buf, &a);
		if (got)
			fail_msg("prefix \"%s\" gave \"%s\"", buf, got);
	}
	arena_release(&a);
}

/* "_R" + "Nv" * levels + "C1a" + "1b" * levels: a path `levels` deep. */
static char *nested_path(int levels)
{
	char *s = malloc(2 + 4 * (size_t)levels + 4);
	char *p = s;
	p += sprintf(p, "_R");
	for (int i = 0; i < levels; i++)
		p += sprintf(p, "Nv");
	p += sprintf(p, "C1a");
	for (int i = 0; i < levels; i++)
		p += sprintf(p, "1b");
	return s;
}

static void test_depth_limit(void **state)
{
	struct arena a = { 0 };
	char *ok = nested_path(400), *deep = nested_path(600);
	const char *got = demangle(ok, &a);
	assert_non_null(got);
	assert_int_equal(strlen(got), 1 + 3 * 400);
	assert_memory_equal(got, "a::b::b", 7);
	assert_string_equal(got + strlen(got) - 6, "::b::b");
	assert_null(demangle(deep, &a));        /* over the depth limit of 500 */
	free(ok);
	free(deep);
	arena_release(&a);
}

/* Level j: "I" <level j-1> B<level j-1> B<level j-1> "E": the output grows
 * as 3^levels while the input grows linearly. */
static char *backref_bomb(int levels)
{
	static const char b62[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	char *s = malloc(16 + 16 * (size_t)levels);
	char *p = s + sprintf(s, "_R");
	for (int j = levels; j >= 1; j--)
		*p++ = 'I';
	p += sprintf(p, "C1a");
	for (int j = 1; j <= levels; j++) {
		int pos = levels - j + 1;       /* of level j - 1, after "_R" */
		for (int k = 0; k < 2; k++) {
			*p++ = 'B';
			if (pos - 1 >= 62)
				*p++ = b62[(pos - 1) / 62];
			*p++ = b62[(pos - 1) % 62];
			*p++ = '_';
		}
		*p++ = 'E';
	}
	*p = 0;
	return s;
}

static void test_backref_blowup(void **state)
{
	struct arena a = { 0 };
	char *small = backref_bomb(3), *bomb = backref_bomb(40);
	assert_string_equal(small, "_RIIIC1aB2_B2_EB1_B1_EB0_B0_E");
	const char *got = demangle(small, &a);
	assert_non_null(got);
	assert_string_equal(got, "a::<a, a>::<a<a, a>, a<a, a>>::<a<a, a><a<a, a>, a<a, a>>, "
			    "a<a, a><a<a, a>, a<a, a>>>");
	/* 3^40 characters: refused at the output cap, in bounded time */
	assert_null(demangle(bomb, &a));
	free(small);
	free(bomb);
	arena_release(&a);
}

static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int more = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
			   (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (more < 0)
			return false;
		p++;
		for (int i = 0; i < more; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* Random strings over the v0 and legacy alphabets. Whatever comes back must
 * be valid UTF-8 of bounded size; the run also proves nothing crashes or
 * reads out of bounds (the suite runs under valgrind and ASan). */
static void test_garbage(void **state)
{
	static const char alpha[] = "_RNMXYICBKLGDFUTSAPQOEVpuvsabcdefhijklmnotxyz0123456789";
	static const char *prefixes[] = { "_R", "_RN", "_RI", "_ZN", "_Z" };
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct arena a = { 0 };
	char buf[96];
	int demangled = 0;
	for (int it = 0; it < 200000; it++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t len = strlen(strcpy(buf, prefixes[x % 5]));
		size_t n = len + (x >> 8) % 48;
		uint64_t y = x;
		for (size_t i = len; i < n; i++) {
			y = y * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[i] = alpha[(y >> 33) % (sizeof(alpha) - 1)];
		}
		buf[n] = 0;
		const char *got = demangle(buf, &a);
		if (got) {
			demangled++;
			if (!valid_utf8(got) || strlen(got) > 1000 * 1000)
				fail_msg("bad output for \"%s\"", buf);
		}
		if (a.used_total > (16u << 20))
			arena_release(&a);
	}
	/* some random strings are valid symbols: the decoder was exercised */
	assert_true(demangled > 0);
	arena_release(&a);
}

/* Inputs longer than the caps come back NULL instead of exhausting the
 * stack (__cxa_demangle) or memory. */
static void test_long_input(void **state)
{
	struct arena a = { 0 };
	size_t n = 100 * 1000;
	char *s = malloc(n + 1);
	memset(s, 'P', n);
	memcpy(s, "_Z1f", 4);
	s[n - 1] = 'v';
	s[n] = 0;
	assert_null(demangle(s, &a));
	memcpy(s, "_RNvC1a", 7);
	assert_null(demangle(s, &a));
	free(s);
	arena_release(&a);
}

/* demangle_short(): what views show; NULL means "the name as it is". */
static const struct pair short_pairs[] = {
	{ "std::vector<int, std::allocator<int> >::push_back(int const&)", "std::vector::push_back" },
	{ "void spin<Box<int>&>(Box<int>&, long)", "spin" },
	{ "operator<(Box<int> const&, Box<int> const&)", "operator<" },
	{ "operator&&(Cmp const&, Cmp const&)", "operator&&" },
	{ "bool operator< <Foo>(Foo const&, Foo const&)", "operator<" },
	{ "std::ostream::operator<<(int)", "std::ostream::operator<<" },
	{ "bool __gnu_cxx::operator!=<char*, std::vector<char> >(__gnu_cxx::__normal_iterator<char*, std::vector<char> > const&)",
	  "__gnu_cxx::operator!=" },
	{ "std::operator<< <std::char_traits<char> >(std::ostream&, char const*)", "std::operator<<" },
	{ "bool operator>=<int>(X<int>, X<int>)", "operator>=" },
	{ "Foo::operator()(int) const", "Foo::operator()" },
	{ "Foo::operator[](unsigned long) &&", "Foo::operator[]" },
	{ "operator new(unsigned long)", "operator new" },
	{ "operator delete[](void*, unsigned long)", "operator delete[]" },
	{ "Foo::operator bool() const", "Foo::operator bool" },
	{ "Foo::operator->() const", "Foo::operator->" },
	{ "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::_M_create[abi:cxx11](unsigned long&, unsigned long)",
	  "std::__cxx11::basic_string::_M_create" },
	{ "void std::__introsort_loop<__gnu_cxx::__normal_iterator<int*, std::vector<int, std::allocator<int> > >, long, __gnu_cxx::__ops::_Iter_less_iter>(__gnu_cxx::__normal_iterator<int*, std::vector<int, std::allocator<int> > >, __gnu_cxx::__normal_iterator<int*, std::vector<int, std::allocator<int> > >, long, __gnu_cxx::__ops::_Iter_less_iter)",
	  "std::__introsort_loop" },
	{ "sort<std::vector<int> >", "sort" },
	{ "(anonymous namespace)::work(int)", "(anonymous namespace)::work" },
	{ "main::{lambda(int)#1}::operator()(int) const", "main::{lambda#1}::operator()" },
	{ "f() [clone .cold]", "f" },
	{ "unsigned long Tree<3>::walk<int>(int) const", "Tree::walk" },
	{ "std::vector<int, std::allocator<int> > make<int>()", "make" },
	{ "core::ptr::drop_in_place<alloc::vec::Vec<u8>>", "core::ptr::drop_in_place" },
	{ "<alloc::vec::Vec<T,A> as core::ops::drop::Drop>::drop", "<alloc::vec::Vec as core::ops::drop::Drop>::drop" },
	{ "<[u8] as core::fmt::Debug>::fmt", NULL },
	{ "core::slice::cmp::<impl core::cmp::PartialEq<[B]> for [A]>::eq",
	  "core::slice::cmp::<impl core::cmp::PartialEq for [A]>::eq" },
	{ "alloc::vec::<impl core::ops::index::Index<I> for alloc::vec::Vec<T,A>>::index",
	  "alloc::vec::<impl core::ops::index::Index for alloc::vec::Vec>::index" },
	{ "std::panic::catch_unwind::<F, R>", "std::panic::catch_unwind" },
	{ "std::rt::lang_start::<()>::{{closure}}", "std::rt::lang_start::{{closure}}" },
	{ "std::rt::lang_start::{{closure}}", NULL },
	{ "main", NULL },
	{ "fib", NULL },
	{ "[libc.so.6+0x2a1c9]", NULL },
	{ "[no stack]", NULL },
	{ "a)b(", NULL },
	{ "<img src=x onerror=alert(1)>", NULL },
	{ "f<int(", NULL },
	{ "", NULL },
};

static void test_short(void **state)
{
	(void)state;
	struct arena a = { 0 };
	for (size_t i = 0; i < sizeof(short_pairs) / sizeof(short_pairs[0]); i++) {
		const char *got = demangle_short(short_pairs[i].mangled, &a);
		const char *want = short_pairs[i].expect;
		if ((!got && !want) || (got && want && !strcmp(got, want)))
			continue;
		fail_msg("demangle_short(\"%s\")\n   got: %s\n  want: %s", short_pairs[i].mangled,
			 got ? got : "NULL", want ? want : "NULL");
	}
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cxx),
		cmocka_unit_test(test_rust_legacy),
		cmocka_unit_test(test_rust_v0),
		cmocka_unit_test(test_suffixes),
		cmocka_unit_test(test_unmangled),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_null_args),
		cmocka_unit_test(test_truncated_v0),
		cmocka_unit_test(test_truncated_legacy),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_backref_blowup),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_long_input),
		cmocka_unit_test(test_short),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
