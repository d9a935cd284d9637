#ifndef CLibXML2_SHIM_H
#define CLibXML2_SHIM_H
#include <libxml/xmlreader.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#endif
