#ifndef CLibXML2_SHIM_H
#define CLibXML2_SHIM_H
#include <libxml/xmlversion.h>
/* Debian's libxml2 is built with ICU: <libxml/encoding.h> then includes the system
   <unicode/ucnv.h>, whose UErrorCode clashes with Foundation's bundled ICU
   (_FoundationICU) in any Swift module that imports both. Swift never touches
   libxml2's ICU converter fields (the tail of xmlCharEncodingHandler, only ever used
   through pointers), so hide them. */
#undef LIBXML_ICU_ENABLED
#include <libxml/xmlreader.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#endif
